# METADATA
# title: Access decision entrypoint
# description: |
#   Collects deny, warn and granted_by from every package under gate.rules.access.<name> and
#   returns {"allow": bool, "granted_by": [...], "violations": [...]}. Nothing is allowed unless
#   some rule grants it and no rule denies it.
package gate.access

import data.gate.lib

granted contains g if {
	some g in data.gate.rules.access[_].granted_by
}

rule_denies contains lib.normalize(v, "deny", null) if {
	some v in data.gate.rules.access[_].deny
}

denies contains v if {
	some v in rule_denies
}

denies contains lib.normalize(v, "deny", null) if {
	count(granted) == 0
	count(rule_denies) == 0
	v := lib.violation("access.not_granted", "high", "no rule grants this request", null)
}

# Default deny: a request without subject, dataset, action or purpose, or an input without the
# decision time, never allows.
input_problems contains sprintf("the request has no %s (input.request.%s)", [k, k]) if {
	some k in ["subject", "dataset", "action", "purpose"]
	not is_string(object.get(object.get(input, "request", {}), k, null))
}

input_problems contains "the input has no decision time (input.context.now)" if {
	not is_string(object.get(object.get(input, "context", {}), "now", null))
}

denies contains lib.normalize(lib.violation("input.incomplete", "critical", msg, null), "deny", null) if {
	some msg in input_problems
}

warns contains lib.normalize(v, "warn", null) if {
	some v in data.gate.rules.access[_].warn
}

decision := {
	"allow": count(denies) == 0,
	"granted_by": [g | some g in granted],
	"violations": array.concat([v | some v in denies], [v | some v in warns]),
}
