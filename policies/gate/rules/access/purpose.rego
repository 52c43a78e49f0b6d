# METADATA
# title: Purpose and consent
# description: Data is used only for its declared purposes; consent-based data never leaves.
package gate.rules.access.purpose

import data.gate.lib

req := input.request

# METADATA
# title: Purpose not declared
# description: Reading, training on or exporting data needs a purpose the dataset declares.
# custom:
#   id: access.purpose_not_declared
#   severity: high
deny contains lib.violation("access.purpose_not_declared", "high", msg, "purpose") if {
	is_object(input.dataset)
	req.action in {"read", "train", "export"}
	not req.purpose in input.dataset.purposes
	msg := sprintf("purpose '%s' is not one of %s's declared purposes (%s)", [req.purpose, req.dataset, concat(", ", input.dataset.purposes)])
}

# METADATA
# title: Consent-based data may not be exported
# description: Data collected under consent stays where the consent was given.
# custom:
#   id: access.consent_export
#   severity: high
deny contains lib.violation("access.consent_export", "high", msg, "action") if {
	req.action == "export"
	input.dataset.source.legal_basis == "consent"
	msg := sprintf("%s was collected under consent and may not be exported", [req.dataset])
}

# METADATA
# title: Export without justification
# description: Exports should say why, for the audit trail.
# custom:
#   id: access.export_unjustified
#   severity: low
warn contains lib.violation("access.export_unjustified", "low", msg, "justification") if {
	req.action == "export"
	not req.justification
	msg := sprintf("export of %s gives no justification", [req.dataset])
}
