# METADATA
# title: Access grants
# description: |
#   Who may read, write, train on, export or delete which dataset. Roles, ACLs and grants come
#   from policy data (data.org), never from the request. Nothing is allowed unless granted.
package gate.rules.access.grants

import data.gate.lib

req := input.request

subject := data.org.subjects[req.subject]

acl := object.get(data.org.datasets, req.dataset, {})

permission_for := {"read": "read_all", "write": "write_all", "train": "train_all", "export": "export_all"}

acl_for := {"read": "readers", "write": "writers", "train": "trainers", "export": "exporters", "delete": "owners"}

# Ways a request can be granted; each is named so a decision can say which one applied.
granted_by contains sprintf("role %s (%s)", [role, permission_for[req.action]]) if {
	some role in subject.roles
	permission_for[req.action] in object.get(data.org.roles, [role, "permissions"], [])
}

granted_by contains sprintf("%s list of %s", [acl_for[req.action], req.dataset]) if {
	subject
	req.subject in object.get(acl, acl_for[req.action], [])
}

granted_by contains "dataset owner" if {
	req.action == "delete"
	subject.email == input.dataset.owner
}

granted_by contains sprintf("grant expiring %s", [g.expires]) if {
	subject
	req.action != "delete"
	some g in _grants
	time.parse_rfc3339_ns(g.expires) > lib.now_ns
}

_grants contains g if {
	some g in object.get(data.org, "grants", [])
	g.subject == req.subject
	g.dataset == req.dataset
	req.action in g.actions
}

# METADATA
# title: Unknown subject
# description: Requests from subjects not in data.org.subjects are refused.
# custom:
#   id: access.unknown_subject
#   severity: high
deny contains lib.violation("access.unknown_subject", "high", msg, "subject") if {
	not subject
	msg := sprintf("subject %s is not known to the policy", [req.subject])
}

# METADATA
# title: Unknown dataset
# description: Requests for a dataset id with no descriptor in the repository are refused.
# custom:
#   id: access.unknown_dataset
#   severity: high
deny contains lib.violation("access.unknown_dataset", "high", msg, "dataset") if {
	not is_object(input.dataset)
	msg := sprintf("dataset %s has no descriptor in this repository", [req.dataset])
}

# METADATA
# title: Not permitted
# description: No role permission, dataset access list or unexpired grant allows this action.
# custom:
#   id: access.not_permitted
#   severity: high
deny contains lib.violation("access.not_permitted", "high", msg, "action") if {
	subject
	is_object(input.dataset)
	req.action != "delete"
	count(granted_by) == 0
	count(_expired) == 0
	msg := sprintf("%s may not %s %s: no role grants %s and %s is not in its %s list", [req.subject, req.action, req.dataset, permission_for[req.action], req.subject, acl_for[req.action]])
}

# METADATA
# title: Grant expired
# description: A time-limited grant past its expiry no longer counts, and the deny says when it ended.
# custom:
#   id: access.grant_expired
#   severity: high
deny contains lib.violation("access.grant_expired", "high", msg, "action") if {
	subject
	is_object(input.dataset)
	count(granted_by) == 0
	some g in _expired
	msg := sprintf("%s's grant to %s %s expired at %s", [req.subject, req.action, req.dataset, g.expires])
}

_expired contains g if {
	some g in _grants
	time.parse_rfc3339_ns(g.expires) <= lib.now_ns
}

# METADATA
# title: Delete needs an owner
# description: Only a dataset's owners (its descriptor's owner or its owners list) may delete it.
# custom:
#   id: access.delete_requires_owner
#   severity: high
deny contains lib.violation("access.delete_requires_owner", "high", msg, "action") if {
	subject
	is_object(input.dataset)
	req.action == "delete"
	count(granted_by) == 0
	msg := sprintf("delete needs an owner: %s is not an owner of %s", [req.subject, req.dataset])
}
