# METADATA
# title: Dataset decision entrypoint
# description: |
#   Collects deny and warn from every package under gate.rules.dataset.<name> and returns
#   {"allow": bool, "violations": [...]}. Add rules by adding packages; never edit this file.
package gate.dataset

import data.gate.lib

denies contains lib.normalize(v, "deny", input.dataset.path) if {
	some v in data.gate.rules.dataset[_].deny
}

warns contains lib.normalize(v, "warn", input.dataset.path) if {
	some v in data.gate.rules.dataset[_].warn
}

decision := {
	"allow": count(denies) == 0,
	"violations": array.concat([v | some v in denies], [v | some v in warns]),
}
