package gate.rules.dataset.reading

doc(classification, problems) := {
	"dataset": {"id": "d", "path": "d/dataset.yaml", "classification": classification},
	"facts": {"data": {"files": [{"path": "d/a.csv", "problems": problems}, {"path": "d/b.csv", "problems": []}]}},
}

ragged := [{"kind": "ragged_rows", "message": "rows with a different number of fields than the header"}]

ids(set) := {v.id | some v in set}

test_an_ambiguous_file_is_denied_for_strict_classifications if {
	some v in deny with input as doc("confidential", ragged)
	v.id == "data.ambiguous_file"
	v.file == "d/a.csv"
	contains(v.message, "different number of fields")
	count(warn) == 0 with input as doc("confidential", ragged)
}

test_an_ambiguous_file_warns_for_the_others if {
	count(deny) == 0 with input as doc("internal", ragged)
	ids(warn) == {"data.ambiguous_file_warning"} with input as doc("internal", ragged)
}

test_the_strict_classifications_come_from_policy_data if {
	ids(deny) == {"data.ambiguous_file"} with input as doc("internal", ragged) with data.org.data.strict_classifications as ["internal"]
}

test_clean_files_raise_nothing if {
	count(deny) == 0 with input as doc("restricted", [])
	count(warn) == 0 with input as doc("restricted", [])
}
