package gate.dataset

rules := {
	"one": {"deny": {{"id": "one.bad", "severity": "high", "message": "bad"}}, "warn": {"plain text warning"}},
	"two": {"warn": {{"id": "two.meh", "message": "meh"}}},
}

complete_facts := {k: {} | some k in _required_facts}

inp := {"dataset": {"id": "d", "path": "d/dataset.yaml"}, "facts": complete_facts, "context": {"now": "2026-11-23T00:00:00Z"}}

test_collects_every_package_and_normalizes if {
	d := decision with data.gate.rules.dataset as rules with input as inp
	d.allow == false
	ids := {v.id | some v in d.violations}
	ids == {"one.bad", "two.meh", "custom.unnamed"}
	some v in d.violations
	v.id == "one.bad"
	v.level == "deny"
	v.file == "d/dataset.yaml"
	some u in d.violations
	u.id == "custom.unnamed"
	u.message == "plain text warning"
	u.level == "warn"
}

test_warnings_alone_allow if {
	d := decision with data.gate.rules.dataset as {"two": rules.two} with input as inp
	d.allow == true
	count(d.violations) == 1
}

test_an_input_missing_facts_descriptor_or_time_never_allows if {
	no_pii := {"dataset": inp.dataset, "facts": object.remove(complete_facts, ["pii"]), "context": inp.context}
	d := decision with data.gate.rules.dataset as {} with input as no_pii
	d.allow == false
	some v in d.violations
	v.id == "input.incomplete"
	contains(v.message, "pii")
	e := decision with data.gate.rules.dataset as {} with input as {"facts": complete_facts, "context": inp.context}
	e.allow == false
	f := decision with data.gate.rules.dataset as {} with input as {"dataset": inp.dataset, "facts": complete_facts}
	f.allow == false
	g := decision with data.gate.rules.dataset as {} with input as inp
	g.allow == true
}
