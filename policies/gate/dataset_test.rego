package gate.dataset

rules := {
	"one": {"deny": {{"id": "one.bad", "severity": "high", "message": "bad"}}, "warn": {"plain text warning"}},
	"two": {"warn": {{"id": "two.meh", "message": "meh"}}},
}

inp := {"dataset": {"id": "d", "path": "d/dataset.yaml"}}

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
