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

collected := denies | warns

_waived(v) if {
	some w in data.waivers
	waivers.matches(w, v, input.dataset.id)
	waivers.active(w)
}

active contains v if {
	some v in collected
	not _waived(v)
}

waived contains object.union(v, {"level": "waived", "waived_level": v.level, "waiver": waivers.summary(w)}) if {
	some v in collected
	some w in data.waivers
	waivers.matches(w, v, input.dataset.id)
	waivers.active(w)
}

notes contains lib.normalize(lib.violation("waiver.expired", "medium", msg, null), "warn", input.dataset.path) if {
	some v in collected
	not _waived(v)
	some w in data.waivers
	waivers.matches(w, v, input.dataset.id)
	not waivers.active(w)
	msg := sprintf("the waiver of %s (approved by %s: %s) expired on %s; the violation applies again", [v.id, w.approver, w.justification, w.expires])
}

notes contains lib.normalize(lib.violation("waiver.stale", "low", msg, null), "warn", input.dataset.path) if {
	some w in data.waivers
	w.dataset == input.dataset.id
	waivers.active(w)
	not _used(w)
	msg := sprintf("the waiver of %s (approved by %s, until %s) matches no violation; remove it", [w.rule, w.approver, w.expires])
}

_used(w) if {
	some v in collected
	waivers.matches(w, v, input.dataset.id)
}

decision := {
	"allow": count({v | some v in active; v.level == "deny"}) == 0,
	"violations": array.concat(array.concat([v | some v in active], [v | some v in notes]), [v | some v in waived]),
}
