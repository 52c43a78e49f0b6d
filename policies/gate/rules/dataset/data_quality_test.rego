package gate.rules.dataset.data_quality

clean := {
	"duplicates": {
		"exact_groups": 0, "exact_rows": 0, "exact_share": 0, "near_groups": 2, "near_rows": 2,
		"near_share": 0.002, "conflicting_groups": 0, "conflicting_rows": 0,
		"chance_exact_share": 0, "chance_near_share": 0.003,
	},
	"class_imbalance": {
		"ran": true, "classes": 2, "rarest": "yes", "rarest_rows": 400, "rarest_share": 0.4,
		"largest_share": 0.6, "fair_share": 0.5, "ratio_to_fair": 0.8,
	},
	"non_iid": {
		"ran": true,
		"neighbours": {"ran": true, "sample": 1000, "neighbours": 10, "closeness": 0.01, "z": -0.5, "p_value": 0.3},
		"label_order": {"ran": true, "blocks": 20, "cramers_v": 0.08, "p_value": 0.4},
	},
	"constant_columns": [],
	"identifier_columns": ["id"],
	"null_columns": [{"column": "income", "null_share": 0.2}],
	"empty_rows": 0,
}

with_issues(patch) := {
	"dataset": {"id": "d", "path": "d/dataset.yaml"},
	"facts": {"poisoning": {"status": "ok", "rows": 1000, "data_issues": json.patch(clean, patch)}},
	"context": {"now": "2026-06-01T00:00:00Z"},
}

ids(set) := {v.id | some v in set}

test_clean_data_has_no_issue if {
	count(warn) == 0 with input as with_issues([])
}

test_copies_beyond_chance_warn if {
	inp := with_issues([
		{"op": "replace", "path": "/duplicates/exact_rows", "value": 70},
		{"op": "replace", "path": "/duplicates/exact_share", "value": 0.07},
		{"op": "replace", "path": "/duplicates/chance_exact_share", "value": 0.004},
		{"op": "replace", "path": "/duplicates/conflicting_groups", "value": 4},
	])
	some v in warn with input as inp
	v.id == "data_quality.duplicates"
	v.message == "72 rows (6.6%) are copies of other rows (70 exact, 2 near-identical; 4 groups of copies carry different labels); the limit is 5% beyond chance"
}

test_copies_coarse_features_explain_pass if {
	inp := with_issues([
		{"op": "replace", "path": "/duplicates/exact_rows", "value": 300},
		{"op": "replace", "path": "/duplicates/exact_share", "value": 0.3},
		{"op": "replace", "path": "/duplicates/chance_exact_share", "value": 0.21},
	])
	count(warn) == 0 with input as inp
}

test_copies_under_the_limit_pass if {
	inp := with_issues([
		{"op": "replace", "path": "/duplicates/exact_rows", "value": 40},
		{"op": "replace", "path": "/duplicates/exact_share", "value": 0.04},
	])
	count(warn) == 0 with input as inp
	ids(warn) == {"data_quality.duplicates"} with input as inp with data.org.data_quality as {"duplicate_rate": 0.01}
}

test_near_copies_alone_warn if {
	inp := with_issues([
		{"op": "replace", "path": "/duplicates/near_rows", "value": 80},
		{"op": "replace", "path": "/duplicates/near_share", "value": 0.08},
	])
	ids(warn) == {"data_quality.duplicates"} with input as inp
}

test_rare_class_warns if {
	inp := with_issues([
		{"op": "replace", "path": "/class_imbalance/rarest_rows", "value": 20},
		{"op": "replace", "path": "/class_imbalance/rarest_share", "value": 0.02},
		{"op": "replace", "path": "/class_imbalance/ratio_to_fair", "value": 0.04},
	])
	some v in warn with input as inp
	v.id == "data_quality.class_imbalance"
	v.message == "class 'yes' has 20 rows (2% of labelled rows; a fair share is 50%)"
}

test_imbalance_limit_from_data if {
	ids(warn) == {"data_quality.class_imbalance"} with input as with_issues([]) with data.org.data_quality as {"imbalance_ratio": 0.9}
}

test_sorted_rows_warn if {
	inp := with_issues([
		{"op": "replace", "path": "/non_iid/label_order/p_value", "value": 1e-30},
		{"op": "replace", "path": "/non_iid/label_order/cramers_v", "value": 0.6},
	])
	some v in warn with input as inp
	v.id == "data_quality.non_iid"
	contains(v.message, "the label's distribution changes along the file (Cramér's V 0.6 over 20 blocks)")
}

test_clustered_rows_warn if {
	inp := with_issues([
		{"op": "replace", "path": "/non_iid/neighbours/p_value", "value": 1e-12},
		{"op": "replace", "path": "/non_iid/neighbours/closeness", "value": 0.3},
	])
	some v in warn with input as inp
	v.message == "the rows are not in random order: alike rows sit together (neighbours 30% nearer in the file than chance); shuffle before splitting by position"
}

test_order_needs_effect_and_evidence if {
	# a tiny effect at huge N, and a large effect by chance, are both not an order
	count(warn) == 0 with input as with_issues([
		{"op": "replace", "path": "/non_iid/label_order/p_value", "value": 1e-30},
		{"op": "replace", "path": "/non_iid/label_order/cramers_v", "value": 0.02},
	])
	count(warn) == 0 with input as with_issues([
		{"op": "replace", "path": "/non_iid/neighbours/p_value", "value": 0.01},
		{"op": "replace", "path": "/non_iid/neighbours/closeness", "value": 0.3},
	])
}

test_constant_null_and_empty_warn if {
	inp := with_issues([
		{"op": "replace", "path": "/constant_columns", "value": ["k", "version"]},
		{"op": "add", "path": "/null_columns/0", "value": {"column": "notes", "null_share": 0.93}},
		{"op": "replace", "path": "/empty_rows", "value": 3},
	])
	ids(warn) == {"data_quality.constant_column", "data_quality.null_heavy_column", "data_quality.empty_rows"} with input as inp
	some v in warn with input as inp
	v.id == "data_quality.null_heavy_column"
	v.message == "mostly missing: column 'notes' (93%)"
}

test_skipped_poisoning_judges_nothing if {
	inp := {"dataset": {"id": "d"}, "facts": {"poisoning": {"status": "skipped"}}}
	count(warn) == 0 with input as inp
}

test_old_facts_without_issues_judge_nothing if {
	inp := {"dataset": {"id": "d"}, "facts": {"poisoning": {"status": "ok", "rows": 10}}}
	count(warn) == 0 with input as inp
}

test_a_rare_class_of_few_rows_is_not_named if {
	inp := with_issues([
		{"op": "replace", "path": "/class_imbalance/rarest", "value": null},
		{"op": "replace", "path": "/class_imbalance/rarest_rows", "value": 2},
		{"op": "replace", "path": "/class_imbalance/rarest_share", "value": 0.002},
		{"op": "replace", "path": "/class_imbalance/ratio_to_fair", "value": 0.004},
	])
	some v in warn with input as inp
	v.message == "the rarest class has 2 rows (0.2% of labelled rows; a fair share is 50%)"
}

test_a_quoted_threshold_is_ignored_and_said if {
	# compared with a string every number is smaller: "0.1" would have warned on every dataset
	ids(warn) == {"data_quality.bad_threshold"} with input as with_issues([]) with data.org.data_quality as {"imbalance_ratio": "0.9"}
	some v in warn with input as with_issues([]) with data.org.data_quality as {"duplicate_rate": "0.05"}
	v.message == "org.data_quality.duplicate_rate is 0.05, not a number: the default 0.05 applies"
}
