# METADATA
# title: Security team's own rules
# description: An example of a rule package the entrypoints collect without being edited.
package gate.rules.dataset.acme

import data.gate.lib

# METADATA
# title: Restricted data needs a change ticket
# description: Every restricted dataset carries a tag naming its approved change ticket (CHG-<n>).
# custom:
#   id: acme.restricted_needs_ticket
#   severity: high
deny contains lib.violation("acme.restricted_needs_ticket", "high", msg, "tags") if {
	input.dataset.classification == "restricted"
	not _has_ticket
	msg := sprintf("restricted dataset %s has no CHG-<n> change ticket in its tags", [input.dataset.id])
}

_has_ticket if {
	some tag in input.dataset.tags
	regex.match(`^CHG-[0-9]+$`, tag)
}

# METADATA
# title: Sources named "tmp" are suspicious
# description: Temporary sources should never reach a dataset repository.
# custom:
#   id: acme.temporary_source
#   severity: low
warn contains lib.violation("acme.temporary_source", "low", msg, "source.id") if {
	contains(input.dataset.source.id, "tmp")
	msg := sprintf("source %s looks temporary", [input.dataset.source.id])
}
