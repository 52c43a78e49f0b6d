# METADATA
# title: Source trust
# description: Where a dataset's data may come from, by classification, allowlist and provenance.
package gate.rules.dataset.source

import data.gate.lib

src := input.dataset.source

# METADATA
# title: Source trust below the classification's minimum
# description: |
#   Each classification needs a minimum source trust (data.org.minimum_trust), on the ordered
#   scale in data.org.trust_levels. Confidential data from a raw web crawl is refused.
# custom:
#   id: source.trust_below_minimum
#   severity: high
deny contains lib.violation("source.trust_below_minimum", "high", msg, "source.trust") if {
	required := data.org.minimum_trust[input.dataset.classification]
	lib.trust_rank(src.trust) < lib.trust_rank(required)
	msg := sprintf("source %s is '%s'; %s data needs '%s' or above", [src.id, src.trust, input.dataset.classification, required])
}

# METADATA
# title: No minimum trust configured for the classification
# description: A classification without a configured minimum trust cannot be judged; fail closed.
# custom:
#   id: source.trust_unconfigured
#   severity: high
deny contains lib.violation("source.trust_unconfigured", "high", msg, "classification") if {
	not data.org.minimum_trust[input.dataset.classification]
	msg := sprintf("no minimum source trust is configured for classification '%s'", [input.dataset.classification])
}

# METADATA
# title: Source not on the allowlist
# description: When data.org.allowed_sources is non-empty, only those source ids may supply data.
# custom:
#   id: source.not_allowlisted
#   severity: high
deny contains lib.violation("source.not_allowlisted", "high", msg, "source.id") if {
	count(data.org.allowed_sources) > 0
	not src.id in data.org.allowed_sources
	msg := sprintf("source %s is not on the organisation's source allowlist", [src.id])
}

# METADATA
# title: Provenance missing
# description: Every source documents the provenance fields in data.org.required_provenance.
# custom:
#   id: source.provenance_missing
#   severity: medium
deny contains lib.violation("source.provenance_missing", "medium", msg, sprintf("source.%s", [name])) if {
	some name in data.org.required_provenance
	not _documented(name)
	msg := sprintf("source %s does not document '%s'", [src.id, name])
}

_documented(name) if {
	value := src[name]
	value != null
	value != ""
}

# METADATA
# title: Collection date in the future
# description: A collection date after the decision time is a typo or a forgery.
# custom:
#   id: source.collected_in_future
#   severity: medium
deny contains lib.violation("source.collected_in_future", "medium", msg, "source.collected") if {
	lib.date_ns(src.collected) > lib.now_ns
	msg := sprintf("source %s was collected on %s, after the decision time %s", [src.id, src.collected, input.context.now])
}
