# METADATA
# title: Personal data and secrets
# description: |
#   PII found in the data (gate's detectors: facts.pii) must be declared in pii.allowed, must have
#   a legal basis and must never sit in a public dataset; secrets never belong in training data.
package gate.rules.dataset.pii

import data.gate.lib

facts := object.get(input.facts, "pii", {"by_type": {}})

threshold := object.get(data.org, ["pii", "min_confidence"], 0.5)

allowed := {t | some t in object.get(input.dataset, ["pii", "allowed"], [])}

# Types gate could not look for in free text in this run (no NER model: facts.pii.detection).
undetectable := {t | some t in object.get(facts, ["detection", "undetectable"], [])}

_sealed_without_ner := object.get(facts, ["detection", "sealed_without_ner"], [])

default _no_ner_reason := "no NER model"

_no_ner_reason := reason if {
	reason := facts.detection.ner.reason
} else := reason if {
	count(_sealed_without_ner) > 0
	reason := sprintf("the facts sealed with %s were made without an NER model", [concat(", ", _sealed_without_ner)])
}

# Findings of a type at or above the policy's confidence threshold.
confident(kind) := sum([n | some c, n in facts.by_type[kind].by_confidence; to_number(c) >= threshold])

uncertain(kind) := sum([n | some c, n in facts.by_type[kind].by_confidence; to_number(c) < threshold])

pii_types contains kind if {
	some kind, _ in facts.by_type
	kind != "SECRET"
	confident(kind) > 0
}

_where(kind) := concat(", ", facts.by_type[kind].files)

# METADATA
# title: PII type not allowed
# description: The data holds a PII type the descriptor's pii.allowed does not list.
# custom:
#   id: pii.type_not_allowed
#   severity: high
deny contains object.union(lib.violation("pii.type_not_allowed", "high", msg, "pii.allowed"), {"pii_type": kind}) if {
	some kind in pii_types
	not kind in allowed
	msg := sprintf("%d %s value(s) found in %s; %s is not in pii.allowed", [confident(kind), kind, _where(kind), kind])
}

# METADATA
# title: PII in a public dataset
# description: A public dataset holds no personal data, whatever pii.allowed says.
# custom:
#   id: pii.in_public_dataset
#   severity: high
deny contains lib.violation("pii.in_public_dataset", "high", msg, "classification") if {
	input.dataset.classification == "public"
	count(pii_types) > 0
	msg := sprintf("public dataset %s holds PII (%s)", [input.dataset.id, concat(", ", sort([k | some k in pii_types]))])
}

# METADATA
# title: PII without a legal basis
# description: Personal data needs a documented legal basis (source.legal_basis).
# custom:
#   id: pii.no_legal_basis
#   severity: high
deny contains lib.violation("pii.no_legal_basis", "high", msg, "source.legal_basis") if {
	count(pii_types) > 0
	not input.dataset.source.legal_basis
	msg := sprintf("dataset %s holds PII (%s) but documents no legal basis", [input.dataset.id, concat(", ", sort([k | some k in pii_types]))])
}

# METADATA
# title: Secret in the data
# description: Credentials (cloud keys, tokens, private keys, passwords) never belong in training data.
# custom:
#   id: pii.secret
#   severity: critical
deny contains object.union(lib.violation("pii.secret", "critical", msg, null), {"pii_type": "SECRET"}) if {
	confident("SECRET") > 0
	msg := sprintf("%d secret(s) found in %s", [confident("SECRET"), _where("SECRET")])
}

# METADATA
# title: Possible PII below the confidence threshold
# description: Candidates the detectors were unsure of (no context, weak format) for review.
# custom:
#   id: pii.low_confidence
#   severity: low
warn contains object.union(lib.violation("pii.low_confidence", "low", msg, "pii.allowed"), {"pii_type": kind}) if {
	some kind, _ in facts.by_type
	not kind in allowed
	uncertain(kind) > 0
	msg := sprintf("%d possible %s value(s) below confidence %v in %s", [uncertain(kind), kind, threshold, _where(kind)])
}

# METADATA
# title: Files not scanned for PII
# description: Binary files cannot be scanned; review them by hand or convert them.
# custom:
#   id: pii.unscanned_files
#   severity: low
warn contains lib.violation("pii.unscanned_files", "low", msg, "files") if {
	count(object.get(facts, "unscanned", [])) > 0
	msg := sprintf("%d file(s) not scanned for PII (binary): %s", [count(facts.unscanned), concat(", ", facts.unscanned)])
}

# METADATA
# title: Allowed PII type gate cannot detect
# description: |
#   pii.allowed names a type gate could not look for in free text in this run (PERSON, LOCATION and
#   ORGANIZATION need the NER extra, gate[ner], in this run and in the run that sealed a file and
#   bound its facts); the declaration is unchecked there.
# custom:
#   id: pii.allowed_undetectable
#   severity: low
warn contains object.union(lib.violation("pii.allowed_undetectable", "low", msg, "pii.allowed"), {"pii_type": kind}) if {
	some kind in allowed
	kind in undetectable
	msg := sprintf("pii.allowed lists %s, which gate cannot find in free text in this run (%s); only columns named for it were checked", [kind, _no_ner_reason])
}

# METADATA
# title: Required PII detection unavailable
# description: |
#   The organisation requires that some types be looked for (data.org.pii.require_detection), and
#   this run could not look for them in free text (no NER model, here or when a sealed file's facts
#   were made).
# custom:
#   id: pii.detection_unavailable
#   severity: high
deny contains object.union(lib.violation("pii.detection_unavailable", "high", msg, null), {"pii_type": kind}) if {
	some kind in object.get(data.org, ["pii", "require_detection"], [])
	kind in undetectable
	msg := sprintf("%s must be looked for in dataset %s, but this run cannot find it in free text (%s)", [kind, input.dataset.id, _no_ner_reason])
}
