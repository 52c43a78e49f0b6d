package gate.dataset

w_rules := {"one": {"deny": {{"id": "one.bad", "severity": "high", "message": "bad", "file": "d/a.csv"}, {"id": "one.worse", "message": "worse"}}}}

w_input := {"dataset": {"id": "d", "path": "d/dataset.yaml"}, "facts": complete_facts, "context": {"now": "2026-11-23T00:00:00Z"}}

waiver(rule, expires) := {"rule": rule, "dataset": "d", "justification": "j", "approver": "a@example.com", "expires": expires}

levels(d) := {v.id: v.level | some v in d.violations}

test_a_waiver_turns_exactly_its_violation_into_waived if {
	d := decision with data.gate.rules.dataset as w_rules with input as w_input with data.waivers as [waiver("one.bad", "2026-12-31")]
	levels(d) == {"one.bad": "waived", "one.worse": "deny"}
	d.allow == false
	some v in d.violations
	v.level == "waived"
	v.waived_level == "deny"
	v.waiver.approver == "a@example.com"
}

test_scoped_by_file if {
	ok := object.union(waiver("one.bad", "2026-12-31"), {"file": "d/a.csv"})
	other := object.union(waiver("one.bad", "2026-12-31"), {"file": "d/b.csv"})
	levels(decision) == {"one.bad": "waived", "one.worse": "deny"} with data.gate.rules.dataset as w_rules with input as w_input with data.waivers as [ok]
	levels(decision) == {"one.bad": "deny", "one.worse": "deny", "waiver.stale": "warn"} with data.gate.rules.dataset as w_rules with input as w_input with data.waivers as [other]
}

test_all_waived_allows if {
	ws := [waiver("one.bad", "2026-12-31"), waiver("one.worse", "2026-12-31T12:00:00Z")]
	d := decision with data.gate.rules.dataset as w_rules with input as w_input with data.waivers as ws
	d.allow == true
	levels(d) == {"one.bad": "waived", "one.worse": "waived"}
}

test_an_expired_waiver_applies_no_more_and_says_so if {
	d := decision with data.gate.rules.dataset as w_rules with input as w_input with data.waivers as [waiver("one.bad", "2026-11-22")]
	levels(d) == {"one.bad": "deny", "one.worse": "deny", "waiver.expired": "warn"}
	some v in d.violations
	v.id == "waiver.expired"
	contains(v.message, "expired on 2026-11-22")
}

test_a_waiver_for_another_dataset_does_nothing if {
	w := object.union(waiver("one.bad", "2026-12-31"), {"dataset": "other"})
	levels(decision) == {"one.bad": "deny", "one.worse": "deny"} with data.gate.rules.dataset as w_rules with input as w_input with data.waivers as [w]
}

test_only_valid_waivers_apply if {
	no_approver := object.remove(waiver("one.bad", "2026-12-31"), ["approver"])
	blank_reason := object.union(waiver("one.bad", "2026-12-31"), {"justification": "  "})
	bad_expiry := waiver("one.bad", "someday")
	levels(decision) == {"one.bad": "deny", "one.worse": "deny"} with data.gate.rules.dataset as w_rules with input as w_input with data.waivers as [no_approver, blank_reason, bad_expiry]
	levels(decision) == {"one.bad": "deny", "one.worse": "deny"} with data.gate.rules.dataset as w_rules with input as w_input with data.waivers as {"x": waiver("one.bad", "2026-12-31")}
}
