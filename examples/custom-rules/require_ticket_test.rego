package gate.rules.dataset.acme

restricted(tags) := {"dataset": {"id": "r", "classification": "restricted", "tags": tags, "source": {"id": "crm"}}}

test_restricted_without_ticket_denied if {
	{v.id | some v in deny} == {"acme.restricted_needs_ticket"} with input as restricted(["pii"])
}

test_restricted_with_ticket_passes if {
	count(deny) == 0 with input as restricted(["CHG-1234"])
}

test_internal_needs_no_ticket if {
	count(deny) == 0 with input as {"dataset": {"id": "i", "classification": "internal", "source": {"id": "crm"}}}
}
