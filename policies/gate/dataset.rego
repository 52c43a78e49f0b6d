# METADATA
# title: Dataset decision entrypoint
# description: |
#   Collects deny and warn from every package under gate.rules.dataset.<name>, applies the waivers
#   (gate.waivers) and returns {"allow": bool, "violations": [...]}: active denies and warnings,
#   waived violations at level "waived" with their waiver, and waiver.expired / waiver.stale
#   warnings. Add rules by adding packages; never edit this file.
package gate.dataset

import data.gate.lib
import data.gate.waivers

denies contains lib.normalize(v, "deny", input.dataset.path) if {
	some v in data.gate.rules.dataset[_].deny
}

warns contains lib.normalize(v, "warn", input.dataset.path) if {
	some v in data.gate.rules.dataset[_].warn
}

# Default deny: an input without its descriptor, every fact gate computes, or the decision time
# never allows, whoever sent it (a policy enforcement point that forgot the PII facts must not pass).
_required_facts := ["integrity", "signature", "sealing", "data", "pii", "poisoning", "drift"]

input_problems contains "the input has no dataset descriptor (input.dataset with an id)" if {
	not is_string(object.get(object.get(input, "dataset", {}), "id", null))
}

input_problems contains "the input has no facts (input.facts)" if {
	not is_object(object.get(input, "facts", null))
}

input_problems contains sprintf("the input has no %s facts (input.facts.%s)", [k, k]) if {
	is_object(object.get(input, "facts", null))
	some k in _required_facts
	not is_object(object.get(input.facts, k, null))
}

input_problems contains "the input has no decision time (input.context.now)" if {
	not is_string(object.get(object.get(input, "context", {}), "now", null))
}

_dataset_path := p if {
	p := input.dataset.path
	is_string(p)
} else := null

denies contains lib.normalize(lib.violation("input.incomplete", "critical", msg, null), "deny", _dataset_path) if {
	some msg in input_problems
}

# METADATA
# title: A fact could not be computed
# description: >-
#   gate could not compute one of the facts (a poisoning table from unreadable files, a drift
#   reference outside the repository): the dataset is an error, never a pass, and the reason is
#   shown beside every other fact's violations (id facts.not_computed, level error). Not waivable:
#   fix the input.
fact_errors contains lib.normalize(lib.violation("facts.not_computed", "high", msg, null), "error", file) if {
	some k in _required_facts
	fact := object.get(object.get(input, "facts", {}), k, null)
	is_object(fact)
	fact.status == "error"
	msg := sprintf("the %s facts could not be computed: %v", [k, object.get(fact, "reason", "no reason given")])
	file := object.get(fact, "file", _dataset_path)
}

collected := denies | warns

_waived(v) if {
	v.id != "input.incomplete"
	some w in data.waivers
	waivers.matches(w, v, input.dataset.id)
	waivers.valid(w)
	waivers.active(w)
}

active contains v if {
	some v in collected
	not _waived(v)
}

waived contains object.union(v, {"level": "waived", "waived_level": v.level, "waiver": waivers.summary(w)}) if {
	some v in collected
	v.id != "input.incomplete"
	some w in data.waivers
	waivers.matches(w, v, input.dataset.id)
	waivers.valid(w)
	waivers.active(w)
}

notes contains lib.normalize(lib.violation("waiver.expired", "medium", msg, null), "warn", input.dataset.path) if {
	some v in collected
	not _waived(v)
	some w in data.waivers
	waivers.matches(w, v, input.dataset.id)
	waivers.valid(w)
	not waivers.active(w)
	msg := sprintf("the waiver of %s (approved by %s: %s) expired on %s; the violation applies again", [v.id, w.approver, w.justification, w.expires])
}

notes contains lib.normalize(lib.violation("waiver.stale", "low", msg, null), "warn", input.dataset.path) if {
	some w in data.waivers
	w.dataset == input.dataset.id
	waivers.valid(w)
	waivers.active(w)
	not _used(w)
	msg := sprintf("the waiver of %s (approved by %s, until %s) matches no violation; remove it", [w.rule, w.approver, w.expires])
}

_used(w) if {
	some v in collected
	waivers.matches(w, v, input.dataset.id)
}

decision := {
	"allow": _allow,
	"violations": array.concat(
		array.concat(array.concat([v | some v in active], [v | some v in notes]), [v | some v in waived]),
		[v | some v in fact_errors],
	),
}

_allow if {
	count(input_problems) == 0
	count(fact_errors) == 0
	count({v | some v in active; v.level == "deny"}) == 0
}

default _allow := false
