package gate.access

inp := {"request": {"subject": "s", "dataset": "d", "action": "read", "purpose": "p"}, "context": {"now": "2026-11-23T00:00:00Z"}}

test_nothing_granted_is_denied if {
	d := decision with data.gate.rules.access as {"x": {}} with input as inp
	d.allow == false
	[v] := d.violations
	v.id == "access.not_granted"
	v.level == "deny"
}

test_granted_and_not_denied_is_allowed if {
	d := decision with data.gate.rules.access as {"x": {"granted_by": {"role r"}, "warn": {{"id": "x.w", "message": "w"}}}} with input as inp
	d.allow == true
	d.granted_by == ["role r"]
	[w] := d.violations
	w.level == "warn"
}

test_a_deny_wins_over_a_grant if {
	d := decision with data.gate.rules.access as {"x": {"granted_by": {"role r"}}, "y": {"deny": {{"id": "y.no", "message": "no"}}}} with input as inp
	d.allow == false
	{v.id | some v in d.violations} == {"y.no"}
}

test_an_incomplete_request_never_allows if {
	granted := {"x": {"granted_by": {"role r"}}}
	d := decision with data.gate.rules.access as granted with input as {"request": {"subject": "s"}, "context": inp.context}
	d.allow == false
	ids := {v.id | some v in d.violations}
	ids == {"input.incomplete"}
	e := decision with data.gate.rules.access as granted with input as {"request": inp.request}
	e.allow == false
}
