# METADATA
# title: Poisoning and drift
# description: >-
#   Judges the poisoning facts (label issues, duplicate conflicts, backdoor triggers, outliers:
#   the share of suspicious rows) against org.poisoning thresholds, and the drift facts against
#   the dataset's reference version.
package gate.rules.dataset.poisoning

import data.gate.lib

facts := input.facts.poisoning

drift := input.facts.drift

thresholds := object.union({"medium_rate": 0.05, "high_rate": 0.10, "max_floor": 0.05}, _configured)

_given := c if {
	c := data.org.poisoning
	is_object(c)
} else := {}

_configured := {k: v |
	some k, v in _given
	is_number(v)
}

# METADATA
# title: Poisoning threshold not a number
# description: >-
#   A value in org.poisoning is not a number (a quoted "0.10"): compared with a string the risk
#   rules would never fire, so the dataset is denied until the policy data is fixed.
# custom:
#   id: poisoning.bad_threshold
#   severity: high
deny contains lib.violation("poisoning.bad_threshold", "high", msg, null) if {
	some k, v in _given
	not is_number(v)
	msg := sprintf("org.poisoning.%s is %v, not a number: fix the policy data", [k, v])
}

percent(rate) := round(rate * 100)

# The noise floor: the reference version's share of suspicious rows (real clean data has one of its
# own: ambiguous rows its features contradict), at most max_floor, so that a noisy or poisoned
# reference excuses no more than that. No reference, or one the facts could not vouch for: 0.
floor := min([facts.floor.rate, thresholds.max_floor]) if {
	facts.floor.status == "ok"
	is_number(facts.floor.rate)
} else := 0

excess := facts.suspicious_rate - floor

_beyond := "" if floor == 0 else := sprintf(", %d%% beyond the %d%% of %s", [percent(excess), percent(floor), object.get(facts.floor, "reference", "the reference")])

# METADATA
# title: High poisoning risk
# description: >-
#   More rows than org.poisoning.high_rate are suspicious (label issues, duplicate conflicts,
#   triggers, outliers) beyond the noise floor (the reference version's share, at most
#   org.poisoning.max_floor); review the top rows in the facts before training on this data.
# custom:
#   id: poisoning.high_risk
#   severity: high
deny contains lib.violation("poisoning.high_risk", "high", msg, "schema.label") if {
	facts.status == "ok"
	excess > thresholds.high_rate
	msg := sprintf("%d of %d rows (%d%%%s) look poisoned or mislabelled; the limit is %d%%", [facts.suspicious_rows, facts.rows, percent(facts.suspicious_rate), _beyond, percent(thresholds.high_rate)])
}

# METADATA
# title: Backdoor trigger
# description: >-
#   A value or token rare in the data that almost always carries one label while the rest of the
#   row's features say otherwise: the signature of a planted backdoor.
# custom:
#   id: poisoning.backdoor_trigger
#   severity: critical
deny contains lib.violation("poisoning.backdoor_trigger", "critical", msg, "schema.label") if {
	facts.status == "ok"
	some t in facts.triggers
	msg := sprintf("backdoor trigger: %s -> label '%s' on %d rows, whose other features contradict that label", [t.condition, t.label, t.rows])
}

# METADATA
# title: Medium poisoning risk
# description: >-
#   More rows than org.poisoning.medium_rate (but not high_rate) are suspicious beyond the noise
#   floor (the reference version's share, at most org.poisoning.max_floor).
# custom:
#   id: poisoning.medium_risk
#   severity: medium
warn contains lib.violation("poisoning.medium_risk", "medium", msg, "schema.label") if {
	facts.status == "ok"
	excess > thresholds.medium_rate
	excess <= thresholds.high_rate
	msg := sprintf("%d of %d rows (%d%%%s) look poisoned or mislabelled; review above %d%%", [facts.suspicious_rows, facts.rows, percent(facts.suspicious_rate), _beyond, percent(thresholds.medium_rate)])
}

# METADATA
# title: Not analysed for poisoning
# description: >-
#   The descriptor names a label, but the data has no column the detectors can use (identifiers and
#   free text only): nothing vouches that it is not poisoned.
# custom:
#   id: poisoning.not_analysable
#   severity: low
warn contains lib.violation("poisoning.not_analysable", "low", msg, "schema.label") if {
	facts.status == "not_analysable"
	msg := sprintf("not analysed for poisoning: %s", [facts.reason])
}

# METADATA
# title: Sealed data not analysed for poisoning
# description: >-
#   Part of the dataset is sealed and the lock binds no poisoning facts computed over every file's
#   plaintext (a file added or changed since sealing): the sealed rows would escape the analysis.
#   Seal the dataset as a whole again, or sign it with the key so the signer computes them.
# custom:
#   id: poisoning.sealed_unanalysed
#   severity: high
deny contains lib.violation("poisoning.sealed_unanalysed", "high", msg, "schema.label") if {
	facts.status == "sealed_without_facts"
	msg := sprintf("not analysed for poisoning: %s", [facts.reason])
}

# METADATA
# title: Significant drift
# description: >-
#   The data differs from its reference version beyond chance (Holm-corrected KS / chi-square per
#   feature, the label distribution, or a classifier two-sample test over all features), with an
#   effect large enough to matter.
# custom:
#   id: drift.significant
#   severity: medium
warn contains lib.violation("drift.significant", "medium", msg, "reference") if {
	drift.status == "ok"
	drift.significant
	parts := array.concat(array.concat(_drifted_features, _drifted_label), _drifted_joint)
	msg := sprintf("drift against %s: %s", [concat(", ", drift.reference), concat("; ", parts)])
}

_drifted_features := [sprintf("features %s", [concat(", ", drift.drifted_features)])] if {
	count(drift.drifted_features) > 0
} else := []

_drifted_label := ["the label distribution"] if drift.label.significant
else := []

_drifted_joint := ["the joint distribution (classifier two-sample test)"] if drift.multivariate.significant
else := []
