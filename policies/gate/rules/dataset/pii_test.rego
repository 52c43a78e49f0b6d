package gate.rules.dataset.pii

with_pii(classification, allowed, by_type, legal_basis) := {
	"dataset": {
		"id": "d", "path": "d/dataset.yaml", "classification": classification, "pii": {"allowed": allowed},
		"source": {"id": "s", "legal_basis": legal_basis},
	},
	"facts": {"pii": {"by_type": by_type, "unscanned": []}},
	"context": {"now": "2026-06-01T00:00:00Z"},
}

emails := {"EMAIL": {"count": 3, "by_confidence": {"0.95": 3}, "files": ["d/a.csv"]}}

phones := {"PHONE": {"count": 5, "by_confidence": {"0.90": 2, "0.30": 3}, "files": ["d/a.csv"]}}

ids(set) := {v.id | some v in set}

test_allowed_type_passes if {
	count(deny) == 0 with input as with_pii("confidential", ["EMAIL"], emails, "contract")
}

test_undeclared_type_denied if {
	ids(deny) == {"pii.type_not_allowed"} with input as with_pii("confidential", [], emails, "contract")
	some v in deny with input as with_pii("confidential", [], emails, "contract")
	v.message == "3 EMAIL value(s) found in d/a.csv; EMAIL is not in pii.allowed"
}

test_threshold_splits_deny_and_warn if {
	inp := with_pii("confidential", [], phones, "contract")
	some v in deny with input as inp
	v.message == "2 PHONE value(s) found in d/a.csv; PHONE is not in pii.allowed"
	some w in warn with input as inp
	w.id == "pii.low_confidence"
	startswith(w.message, "3 possible PHONE value(s) below confidence 0.5")
}

test_only_uncertain_findings_warn if {
	weak := {"PHONE": {"count": 3, "by_confidence": {"0.30": 3}, "files": ["d/a.csv"]}}
	count(deny) == 0 with input as with_pii("confidential", [], weak, "contract")
	ids(warn) == {"pii.low_confidence"} with input as with_pii("confidential", [], weak, "contract")
}

test_threshold_from_data if {
	count(deny) == 0 with input as with_pii("confidential", [], phones, "contract") with data.org.pii.min_confidence as 0.95
}

test_public_dataset_denied_even_if_allowed if {
	ids(deny) == {"pii.in_public_dataset"} with input as with_pii("public", ["EMAIL"], emails, "contract")
}

test_no_legal_basis if {
	inp := json.remove(with_pii("internal", ["EMAIL"], emails, "x"), [["dataset", "source", "legal_basis"]])
	ids(deny) == {"pii.no_legal_basis"} with input as inp
}

test_secret_always_denied if {
	secrets := {"SECRET": {"count": 1, "by_confidence": {"0.95": 1}, "files": ["d/c.txt"]}}
	ids(deny) == {"pii.secret"} with input as with_pii("internal", ["SECRET"], secrets, "contract")
}

test_no_findings_no_violations if {
	count(deny) == 0 with input as with_pii("public", [], {}, "contract")
	count(warn) == 0 with input as with_pii("public", [], {}, "contract")
}

test_unscanned_files_warn if {
	inp := json.patch(with_pii("internal", [], {}, "contract"), [{"op": "replace", "path": "/facts/pii/unscanned", "value": ["d/blob.bin"]}])
	ids(warn) == {"pii.unscanned_files"} with input as inp
}

without_ner(allowed) := json.patch(with_pii("confidential", allowed, emails, "contract"), [{
	"op": "add", "path": "/facts/pii/detection",
	"value": {"ner": {"model": null, "reason": "spaCy is not installed"}, "undetectable": ["LOCATION", "ORGANIZATION", "PERSON"]},
}])

test_allowed_type_gate_cannot_detect_warns if {
	inp := without_ner(["EMAIL", "PERSON"])
	count(deny) == 0 with input as inp
	some w in warn with input as inp
	w.id == "pii.allowed_undetectable"
	w.pii_type == "PERSON"
	contains(w.message, "spaCy is not installed")
}

test_detectable_allowed_type_does_not_warn if {
	inp := json.patch(with_pii("confidential", ["EMAIL", "PERSON"], emails, "contract"), [{
		"op": "add", "path": "/facts/pii/detection",
		"value": {"ner": {"model": "en_core_web_sm"}, "undetectable": []},
	}])
	count({w | some w in warn; w.id == "pii.allowed_undetectable"}) == 0 with input as inp
}

test_required_detection_denied_without_ner if {
	inp := without_ner(["EMAIL"])
	count(deny) == 0 with input as inp
	ids(deny) == {"pii.detection_unavailable"} with input as inp with data.org.pii.require_detection as ["PERSON"]
}

test_sealed_facts_made_without_a_model_warn_on_an_allowed_name_type if {
	base := with_pii("internal", [], {}, "contract")
	inp := json.patch(base, [
		{"op": "add", "path": "/facts/pii/detection", "value": {"ner": {"model": "en_core_web_sm"}, "undetectable": ["PERSON", "LOCATION", "ORGANIZATION"], "sealed_without_ner": ["data/p.csv.age"]}},
		{"op": "replace", "path": "/dataset/pii/allowed", "value": ["PERSON"]},
	])
	some v in warn with input as inp
	v.id == "pii.allowed_undetectable"
	contains(v.message, "data/p.csv.age")
}
