package gate.rules.dataset.integrity

facts_with(files, present) := {
	"dataset": {"id": "d", "path": "d/dataset.yaml"},
	"facts": {"integrity": {
		"manifest": {"present": present, "path": "d/dataset.lock", "dataset": "d"},
		"files": files,
		"unmatched_patterns": [],
	}},
	"context": {"now": "2026-06-01T00:00:00Z"},
}

ok_file := {"path": "d/a.csv", "status": "ok", "sha256": "aaaaaaaaaaaaaaaaaaaa", "size": 1}

ids(set) := {v.id | some v in set}

test_all_ok_passes if {
	count(deny) == 0 with input as facts_with([ok_file], true)
	count(warn) == 0 with input as facts_with([ok_file], true)
}

test_no_manifest if {
	inp := facts_with([{"path": "d/a.csv", "status": "undeclared"}], false)
	ids(deny) == {"integrity.no_manifest"} with input as inp
}

test_manifest_for_other_dataset if {
	inp := json.patch(facts_with([ok_file], true), [{"op": "replace", "path": "/facts/integrity/manifest/dataset", "value": "other"}])
	ids(deny) == {"integrity.manifest_dataset_mismatch"} with input as inp
}

test_mismatch_names_file_and_digests if {
	f := {"path": "d/a.csv", "status": "mismatch", "sha256": "1111111111112222", "expected_sha256": "3333333333334444"}
	some v in deny with input as facts_with([f], true)
	v.id == "integrity.file_mismatch"
	v.severity == "critical"
	v.file == "d/a.csv"
	v.message == "d/a.csv does not match the manifest (sha256 111111111111…, expected 333333333333…)"
}

test_missing_file if {
	ids(deny) == {"integrity.file_missing"} with input as facts_with([{"path": "d/b.csv", "status": "missing"}], true)
}

test_undeclared_file if {
	ids(deny) == {"integrity.file_undeclared"} with input as facts_with([ok_file, {"path": "d/new.csv", "status": "undeclared"}], true)
}

test_outside_repo if {
	ids(deny) == {"integrity.path_outside_repo"} with input as facts_with([{"path": "../x/*.csv", "status": "outside_repo"}], true)
}

test_unmatched_pattern_warns if {
	inp := json.patch(facts_with([ok_file], true), [{"op": "replace", "path": "/facts/integrity/unmatched_patterns", "value": ["data/*.parquet"]}])
	ids(warn) == {"integrity.pattern_unmatched"} with input as inp
}

test_no_files_warns if {
	ids(warn) == {"integrity.no_files"} with input as facts_with([], true)
}

test_every_disagreement_between_lock_globs_and_directory_is_denied if {
	cases := {
		"unmatched": "integrity.file_unmatched",
		"uncovered": "integrity.file_uncovered",
		"outside_dataset": "integrity.path_outside_dataset",
		"not_regular": "integrity.not_regular_file",
	}
	every status, rule in cases {
		ids(deny) == {rule} with input as facts_with([{"path": "d/x", "status": status, "reason": "why"}], true)
	}
}

test_a_deceptive_name_is_denied if {
	inp := json.patch(facts_with([ok_file], true), [{"op": "add", "path": "/facts/integrity/ambiguous_names", "value": [{"path": "d/B.CSV", "reason": "differs from d/b.csv only by case or Unicode normalization"}]}])
	some v in deny with input as inp
	v.id == "integrity.ambiguous_name"
	contains(v.message, "d/B.CSV")
}
