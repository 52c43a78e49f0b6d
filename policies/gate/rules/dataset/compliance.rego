# METADATA
# title: Compliance
# description: Legal basis, data subjects, purposes and retention must be documented and honoured.
package gate.rules.dataset.compliance

import data.gate.lib

src := input.dataset.source

# METADATA
# title: Legal basis missing
# description: Every dataset documents the legal basis its data was collected under.
# custom:
#   id: compliance.legal_basis_missing
#   severity: high
deny contains lib.violation("compliance.legal_basis_missing", "high", msg, "source.legal_basis") if {
	not src.legal_basis
	msg := sprintf("dataset %s does not document a legal basis (source.legal_basis)", [input.dataset.id])
}

# METADATA
# title: Data subjects missing
# description: Every dataset says whose data it holds ("none" when it holds nobody's).
# custom:
#   id: compliance.data_subjects_missing
#   severity: medium
deny contains lib.violation("compliance.data_subjects_missing", "medium", msg, "source.data_subjects") if {
	not src.data_subjects
	msg := sprintf("dataset %s does not document its data subjects (source.data_subjects)", [input.dataset.id])
}

# METADATA
# title: No purposes declared
# description: Data may only be used for declared purposes, so at least one must be declared.
# custom:
#   id: compliance.no_purposes
#   severity: high
deny contains lib.violation("compliance.no_purposes", "high", msg, "purposes") if {
	count(input.dataset.purposes) == 0
	msg := sprintf("dataset %s declares no purposes", [input.dataset.id])
}

# METADATA
# title: Unknown purpose
# description: A purpose the organisation does not recognise (data.org.known_purposes) is probably a typo.
# custom:
#   id: compliance.unknown_purpose
#   severity: low
warn contains lib.violation("compliance.unknown_purpose", "low", msg, "purposes") if {
	count(object.get(data.org, "known_purposes", [])) > 0
	some purpose in input.dataset.purposes
	not purpose in data.org.known_purposes
	msg := sprintf("purpose '%s' is not one of the organisation's known purposes", [purpose])
}

# METADATA
# title: Retention period ended
# description: Data kept past collected + retention_days must be deleted, not trained on.
# custom:
#   id: compliance.retention_expired
#   severity: high
deny contains lib.violation("compliance.retention_expired", "high", msg, "source.retention_days") if {
	end := retention_end_ns
	end <= lib.now_ns
	msg := sprintf("retention ended on %s (collected %s + %d days); the data must be deleted", [_date(end), src.collected, src.retention_days])
}

# METADATA
# title: Retention period ending soon
# description: Warns data.org.retention_warning_days before the retention period ends.
# custom:
#   id: compliance.retention_ending
#   severity: low
warn contains lib.violation("compliance.retention_ending", "low", msg, "source.retention_days") if {
	end := retention_end_ns
	end > lib.now_ns
	days_left := ceil((end - lib.now_ns) / lib.day_ns)
	days_left <= object.get(data.org, "retention_warning_days", 30)
	msg := sprintf("retention ends on %s, in %d days", [_date(end), days_left])
}

# METADATA
# title: Retention not documented
# description: Without collected and retention_days nobody can tell when the data must go.
# custom:
#   id: compliance.retention_missing
#   severity: medium
warn contains lib.violation("compliance.retention_missing", "medium", msg, "source.retention_days") if {
	not retention_end_ns
	msg := sprintf("dataset %s documents no retention period (source.collected and source.retention_days)", [input.dataset.id])
}

retention_end_ns := time.add_date(lib.date_ns(src.collected), 0, 0, src.retention_days)

_date(ns) := sprintf("%04d-%02d-%02d", time.date(ns))
