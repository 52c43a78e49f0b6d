package gate.rules.access.purpose

request_for(action, purpose, legal_basis) := {
	"request": {"subject": "s", "dataset": "d", "action": action, "purpose": purpose, "justification": "why"},
	"dataset": {"id": "d", "purposes": ["model-training", "evaluation"], "source": {"legal_basis": legal_basis}},
	"context": {"now": "2026-06-01T00:00:00Z"},
}

ids(set) := {v.id | some v in set}

test_declared_purpose_passes if {
	count(deny) == 0 with input as request_for("train", "model-training", "contract")
}

test_undeclared_purpose_denied if {
	some v in deny with input as request_for("train", "marketing", "contract")
	v.id == "access.purpose_not_declared"
	v.message == "purpose 'marketing' is not one of d's declared purposes (model-training, evaluation)"
}

test_purpose_not_checked_for_delete if {
	count(deny) == 0 with input as request_for("delete", "retention", "contract")
}

test_consent_data_not_exported if {
	ids(deny) == {"access.consent_export"} with input as request_for("export", "evaluation", "consent")
}

test_consent_data_may_be_trained_on if {
	count(deny) == 0 with input as request_for("train", "model-training", "consent")
}

test_export_without_justification_warns if {
	inp := json.remove(request_for("export", "evaluation", "contract"), [["request", "justification"]])
	ids(warn) == {"access.export_unjustified"} with input as inp
}
