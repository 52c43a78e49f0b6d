# METADATA
# title: Waivers
# description: |
#   Time-boxed, scoped exceptions from policy data (`waivers:` in data.yaml or waivers.yaml): rule id,
#   dataset, optionally file / field / column / fingerprint, justification, approver and a mandatory
#   expiry. gate validates them at load; the dataset entrypoint reports a waived violation as
#   `waived` (never hidden), an expired waiver as `waiver.expired`, an unused one as `waiver.stale`.
package gate.waivers

import data.gate.lib

# Rules iterate `data.waivers` directly: measured with regorus 0.13, iterating a rule of this package
# (say `entries := data.waivers`) from another package and then calling a function of this package
# on the element yields nothing, silently; OPA gets it right. The tests run both engines.

_scopes := ["file", "field", "column", "fingerprint"]

# Nanoseconds at which a waiver stops: an RFC 3339 time, or the end of a YYYY-MM-DD day (UTC).
# (the parse sits after the test in the body: regorus evaluates a head's value even when the
# condition fails, and parsing a date as RFC 3339 is an error there)
expiry_ns(w) := ns if {
	indexof(w.expires, "T") >= 0
	ns := time.parse_rfc3339_ns(w.expires)
}

expiry_ns(w) := ns if {
	indexof(w.expires, "T") < 0
	ns := lib.date_ns(w.expires) + lib.day_ns
}

active(w) if lib.now_ns < expiry_ns(w)

# A waiver the entrypoint may apply, whatever put it in data.waivers (a data file, a bundle's data.json,
# a Rego module): an object naming rule and dataset, with a justification, an approver and an expiry
# that is a date or an RFC 3339 time; optional scopes are non-empty strings. (gate also refuses to run
# with an invalid one; this is the same check for any other client of the policies.)
valid(w) if {
	is_array(data.waivers)
	is_object(w)
	every key in ["rule", "dataset", "justification", "approver", "expires"] {
		_text(object.get(w, key, null))
	}
	_expiry_text(w.expires)
	every key in _scopes {
		_scope_valid(object.get(w, key, null))
	}
}

_text(x) if {
	is_string(x)
	trim_space(x) != ""
}

_scope_valid(x) if x == null

_scope_valid(x) if _text(x)

_expiry_text(x) if regex.match(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`, x)

_expiry_text(x) if regex.match(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`, x)

# The waiver names this violation's rule and dataset, and every optional scope it gives matches.
matches(w, v, dataset_id) if {
	w.rule == v.id
	w.dataset == dataset_id
	every key in _scopes {
		_scope_ok(w, v, key)
	}
}

_scope_ok(w, _, key) if not w[key]

_scope_ok(w, v, key) if w[key] == v[key]

# What a report shows about the waiver: never more than the policy data says.
summary(w) := {k: w[k] | some k in ["rule", "dataset", "file", "field", "column", "fingerprint", "justification", "approver", "expires"]; w[k]}
