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

test_a_fact_that_could_not_be_computed_is_an_error_beside_the_others if {
	broken := object.union(complete_facts, {"poisoning": {"status": "error", "reason": "no table", "file": "d/x.csv"}})
	# the input bound first: regorus mis-evaluates a function call as the value of `with input as`
	i := object.union(inp, {"facts": broken})
	d := decision with data.gate.rules.dataset as rules with input as i
	d.allow == false
	some e in d.violations
	e.id == "facts.not_computed"
	e.level == "error"
	e.file == "d/x.csv"
	contains(e.message, "poisoning facts could not be computed: no table")
	ids := {v.id | some v in d.violations}
	ids == {"one.bad", "two.meh", "custom.unnamed", "facts.not_computed"}
	w := decision with data.gate.rules.dataset as {"two": rules.two} with input as i
	w.allow == false
	j := object.union(inp, {"facts": object.union(complete_facts, {"drift": {"status": "error"}})})
	n := decision with data.gate.rules.dataset as {} with input as j
	some m in n.violations
	m.message == "the drift facts could not be computed: no reason given"
	m.file == "d/dataset.yaml"
}

test_a_fact_error_cannot_be_waived if {
	broken := object.union(complete_facts, {"poisoning": {"status": "error", "reason": "no table"}})
	waiver := {"rule": "facts.not_computed", "dataset": "d", "justification": "reviewed exception (T-1)", "approver": "a@example.com", "expires": "2099-01-01"}
	i := object.union(inp, {"facts": broken})
	d := decision with data.gate.rules.dataset as {} with input as i with data.waivers as [waiver]
	d.allow == false
	some e in d.violations
	e.id == "facts.not_computed"
	e.level == "error"
}
