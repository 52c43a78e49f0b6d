package gate.rules.access.grants

org := {
	"subjects": {
		"ann": {"email": "ann@example.com", "roles": ["trainer"]},
		"ben": {"email": "ben@example.com", "roles": []},
		"own": {"email": "owner@example.com", "roles": []},
	},
	"roles": {"trainer": {"permissions": ["read_all", "train_all"]}},
	"datasets": {"d": {"readers": ["ben"], "owners": ["ben"]}},
	"grants": [
		{"subject": "ben", "dataset": "d", "actions": ["train"], "expires": "2026-07-01T00:00:00Z"},
		{"subject": "ben", "dataset": "d", "actions": ["export"], "expires": "2026-05-01T00:00:00Z"},
	],
}

request_for(subject, action) := {
	"request": {"subject": subject, "dataset": "d", "action": action, "purpose": "p"},
	"dataset": {"id": "d", "owner": "owner@example.com", "purposes": ["p"], "source": {"legal_basis": "contract"}},
	"context": {"now": "2026-06-01T00:00:00Z"},
}

ids(set) := {v.id | some v in set}

test_role_grants_train if {
	granted_by == {"role trainer (train_all)"} with input as request_for("ann", "train") with data.org as org
	count(deny) == 0 with input as request_for("ann", "train") with data.org as org
}

test_acl_grants_read if {
	granted_by == {"readers list of d"} with input as request_for("ben", "read") with data.org as org
}

test_unexpired_grant_grants if {
	granted_by == {"grant expiring 2026-07-01T00:00:00Z"} with input as request_for("ben", "train") with data.org as org
}

test_grant_expires if {
	inp := object.union(request_for("ben", "train"), {"context": {"now": "2026-07-01T00:00:00Z"}})
	ids(deny) == {"access.grant_expired"} with input as inp with data.org as org
	count(granted_by) == 0 with input as inp with data.org as org
}

test_expired_grant_names_expiry if {
	some v in deny with input as request_for("ben", "export") with data.org as org
	v.message == "ben's grant to export d expired at 2026-05-01T00:00:00Z"
}

test_no_permission if {
	ids(deny) == {"access.not_permitted"} with input as request_for("ann", "write") with data.org as org
}

test_unknown_subject if {
	ids(deny) == {"access.unknown_subject"} with input as request_for("zed", "read") with data.org as org
	count(granted_by) == 0 with input as request_for("zed", "read") with data.org as org
}

test_requester_cannot_assert_roles if {
	inp := object.union(request_for("ben", "write"), {"request": {"roles": ["trainer"], "permissions": ["write_all"]}})
	ids(deny) == {"access.not_permitted"} with input as inp with data.org as org
}

test_unknown_dataset if {
	inp := object.union(request_for("ann", "read"), {"dataset": null})
	ids(deny) == {"access.unknown_dataset"} with input as inp with data.org as org
}

test_delete_by_descriptor_owner if {
	granted_by == {"dataset owner"} with input as request_for("own", "delete") with data.org as org
	count(deny) == 0 with input as request_for("own", "delete") with data.org as org
}

test_delete_by_owners_list if {
	granted_by == {"owners list of d"} with input as request_for("ben", "delete") with data.org as org
}

test_delete_needs_owner_even_with_roles if {
	ids(deny) == {"access.delete_requires_owner"} with input as request_for("ann", "delete") with data.org as org
}
