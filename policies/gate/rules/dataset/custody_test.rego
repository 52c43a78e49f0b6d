package gate.rules.dataset.custody

signers := {"k1": {"name": "release", "classifications": ["confidential", "restricted"]}, "k2": {"name": "scoped", "datasets": ["hr-*"]}}

org := {"signature": {"required_classifications": ["confidential", "restricted"]}, "sealing": {"required_classifications": ["restricted"]}, "signers": signers}

doc(classification, signatures, plain) := {
	"dataset": {"id": "d", "path": "d/dataset.yaml", "classification": classification},
	"facts": {
		"integrity": {"manifest": {"present": true, "path": "d/dataset.lock", "dataset": "d"}},
		"signature": {"count": count(signatures), "signatures": signatures},
		"sealing": {"plain_count": count(plain), "plain_files": plain, "sealed_without_plain_digest": []},
	},
}

valid(keyid) := {"keyid": keyid, "signer": "x", "status": "valid", "problem": null}

ids(set) := {v.id | some v in set}

test_public_data_needs_nothing if {
	count(deny) == 0 with input as doc("public", [], ["d/a.csv"]) with data.org as org
}

test_confidential_unsigned_is_denied if {
	ids(deny) == {"signature.missing"} with input as doc("confidential", [], ["d/a.csv"]) with data.org as org
}

test_confidential_signed_by_trusted_signer_passes if {
	count(deny) == 0 with input as doc("confidential", [valid("k1")], ["d/a.csv"]) with data.org as org
}

test_restricted_plain_is_denied_even_when_signed if {
	ids(deny) == {"sealing.plain_files"} with input as doc("restricted", [valid("k1")], ["d/a.csv"]) with data.org as org
}

test_restricted_sealed_and_signed_passes if {
	count(deny) == 0 with input as doc("restricted", [valid("k1")], []) with data.org as org
}

test_signer_outside_its_dataset_scope_is_untrusted if {
	some v in deny with input as doc("confidential", [valid("k2")], []) with data.org as org
	v.id == "signature.untrusted"
	contains(v.message, "x (not trusted for this dataset)")
}

test_signer_scope_by_dataset_glob if {
	inp := json.patch(doc("confidential", [valid("k2")], []), [{"op": "replace", "path": "dataset/id", "value": "hr-2026"}])
	count(deny) == 0 with input as inp with data.org as org
}

test_unknown_signer_is_named if {
	s := {"keyid": "abcdef0123456789ffff", "signer": null, "status": "unknown_signer", "problem": "key id not among the trusted signers"}
	some v in deny with input as doc("restricted", [s], []) with data.org as org
	v.id == "signature.untrusted"
	contains(v.message, "key abcdef0123456789 (unknown signer)")
}

test_invalid_signature_is_denied_for_any_classification if {
	s := {"keyid": "k1", "signer": "release", "status": "invalid", "problem": "the lock's files differ from the signed ones"}
	ids(deny) == {"signature.invalid"} with input as doc("public", [s], []) with data.org as org
	ids(deny) == {"signature.invalid"} with input as doc("restricted", [s, valid("k1")], []) with data.org as org
}

test_missing_plain_digest_warns if {
	inp := json.patch(doc("internal", [], []), [{"op": "replace", "path": "facts/sealing/sealed_without_plain_digest", "value": ["d/a.csv.age"]}])
	ids(warn) == {"sealing.plain_digest_missing"} with input as inp with data.org as org
}

test_without_custody_facts_nothing_fires if {
	count(deny) == 0 with input as {"dataset": {"id": "d", "classification": "restricted"}, "facts": {}} with data.org as org
}
