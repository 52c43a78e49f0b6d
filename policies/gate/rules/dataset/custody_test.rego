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

versioned(version, base) := json.patch(doc("confidential", [object.union(valid("k1"), {"version": version, "signed_at": "2026-05-01T00:00:00Z"})], []), [{"op": "add", "path": "/facts/signature/version", "value": version}, {"op": "add", "path": "/facts/signature/base_version", "value": base}, {"op": "add", "path": "/context", "value": {"now": "2026-06-01T00:00:00Z"}}])

test_a_lower_version_than_at_the_base_revision_is_a_rollback if {
	some v in deny with input as versioned(1, 2) with data.org as org
	v.id == "signature.rollback"
	contains(v.message, "version 1, lower than version 2")
	count(deny) == 0 with input as versioned(2, 2) with data.org as org
	count(deny) == 0 with input as versioned(3, null) with data.org as org
}

test_no_valid_signature_against_a_signed_base_is_a_rollback if {
	inp := json.patch(versioned(1, 2), [{"op": "replace", "path": "/facts/signature/version", "value": null}])
	"signature.rollback" in ids(deny) with input as inp with data.org as org
}

test_a_signature_older_than_the_maximum_age_is_refused if {
	aged := object.union(org, {"signature": {"required_classifications": ["confidential"], "max_age_days": 30}})
	ids(deny) == {"signature.too_old"} with input as versioned(1, null) with data.org as aged
	young := object.union(org, {"signature": {"required_classifications": ["confidential"], "max_age_days": 365}})
	count(deny) == 0 with input as versioned(1, null) with data.org as young
}

sealed_doc(extra) := json.patch(doc("restricted", [valid("k1")], []), [{"op": "replace", "path": "/facts/sealing", "value": object.union({"sealed": 1, "plain_count": 0, "plain_files": [], "sealed_without_plain_digest": []}, extra)}])

test_sealed_files_must_be_age_files_with_bound_facts if {
	ids(deny) == {"sealing.not_age"} with input as sealed_doc({"not_age": ["d/a.csv.age"]}) with data.org as org
	ids(deny) == {"sealing.facts_missing"} with input as sealed_doc({"sealed_without_facts": ["d/a.csv.age"]}) with data.org as org
	count(deny) == 0 with input as sealed_doc({}) with data.org as org
}

test_bound_facts_need_a_trusted_signer if {
	unsigned := json.patch(sealed_doc({}), [{"op": "replace", "path": "/facts/signature", "value": {"count": 0, "signatures": []}}])
	"sealing.facts_unsigned" in ids(deny) with input as unsigned with data.org as org
}
