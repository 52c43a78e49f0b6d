package gate.rules.dataset.poisoning

poisoning_input(rate, triggers) := {
	"dataset": {"id": "d", "path": "d/dataset.yaml"},
	"facts": {"poisoning": {
		"status": "ok", "rows": 1000, "suspicious_rows": round(rate * 1000), "suspicious_rate": rate,
		"triggers": triggers,
	}},
	"context": {"now": "2026-06-01T00:00:00Z"},
}

drift_input(significant, features) := {
	"dataset": {"id": "d", "path": "d/dataset.yaml"},
	"facts": {"drift": {
		"status": "ok", "significant": significant, "drifted_features": features, "reference": ["old/a.csv"],
		"label": {"significant": false}, "multivariate": {"significant": significant},
	}},
	"context": {"now": "2026-06-01T00:00:00Z"},
}

ids(set) := {v.id | some v in set}

a_trigger := {"condition": "f0 = 16", "label": "0", "rows": 54}

test_low_rate_passes if {
	count(deny) == 0 with input as poisoning_input(0.01, [])
	count(warn) == 0 with input as poisoning_input(0.01, [])
}

test_medium_rate_warns if {
	ids(warn) == {"poisoning.medium_risk"} with input as poisoning_input(0.07, [])
	count(deny) == 0 with input as poisoning_input(0.07, [])
}

test_rate_at_medium_limit_passes if {
	count(warn) == 0 with input as poisoning_input(0.05, [])
}

test_high_rate_denies_with_numbers if {
	some v in deny with input as poisoning_input(0.12, [])
	v.id == "poisoning.high_risk"
	v.message == "120 of 1000 rows (12%) look poisoned or mislabelled; the limit is 10%"
	count(warn) == 0 with input as poisoning_input(0.12, [])
}

test_thresholds_come_from_data if {
	ids(deny) == {"poisoning.high_risk"} with input as poisoning_input(0.03, []) with data.org.poisoning as {"medium_rate": 0.01, "high_rate": 0.02}
}

test_trigger_denies_even_at_low_rate if {
	some v in deny with input as poisoning_input(0.03, [a_trigger])
	v.id == "poisoning.backdoor_trigger"
	v.severity == "critical"
	v.message == "backdoor trigger: f0 = 16 -> label '0' on 54 rows, whose other features contradict that label"
}

test_skipped_facts_decide_nothing if {
	inp := {"dataset": {"id": "d"}, "facts": {"poisoning": {"status": "skipped"}, "drift": {"status": "skipped"}}}
	count(deny) == 0 with input as inp
	count(warn) == 0 with input as inp
}

test_drift_warns_naming_features if {
	some v in warn with input as drift_input(true, ["f4"])
	v.id == "drift.significant"
	v.message == "drift against old/a.csv: features f4; the joint distribution (classifier two-sample test)"
}

test_no_drift_no_warning if {
	count(warn) == 0 with input as drift_input(false, [])
}

test_not_analysable_warns if {
	inp := {"dataset": {"id": "d"}, "facts": {"poisoning": {"status": "not_analysable", "reason": "no usable feature columns"}}}
	some v in warn with input as inp
	v.id == "poisoning.not_analysable"
	v.message == "not analysed for poisoning: no usable feature columns"
}

test_sealed_data_without_bound_poisoning_facts_is_denied if {
	inp := {"dataset": {"id": "d", "path": "d/dataset.yaml"}, "facts": {"poisoning": {"status": "sealed_without_facts", "reason": "the lock binds none"}, "drift": {"status": "skipped"}}}
	ids := {v.id | some v in deny with input as inp}
	ids == {"poisoning.sealed_unanalysed"}
}

test_a_quoted_threshold_denies_instead_of_disabling_the_rule if {
	# "0.10" as a string: every number is below it, so high_risk would never fire
	ids(deny) == {"poisoning.bad_threshold", "poisoning.high_risk"} with input as poisoning_input(0.5, []) with data.org.poisoning as {"high_rate": "0.10"}
}

with_floor(rate, floor) := object.union(poisoning_input(rate, []), {"facts": {"poisoning": {"floor": floor}}})

reference_floor(rate) := {"status": "ok", "reference": "old/dataset.yaml", "rate": rate, "rows": 2000}

test_the_reference_floor_is_not_risk if {
	# a real clean set whose own share of ambiguous rows is 7 %, in this version and the last
	inp := with_floor(0.07, reference_floor(0.068))
	count(warn) == 0 with input as inp
	count(deny) == 0 with input as inp
}

test_the_excess_over_the_floor_is_judged if {
	some v in deny with input as with_floor(0.17, reference_floor(0.04))
	v.id == "poisoning.high_risk"
	v.message == "170 of 1000 rows (17%, 13% beyond the 4% of old/dataset.yaml) look poisoned or mislabelled; the limit is 10%"
	ids(warn) == {"poisoning.medium_risk"} with input as with_floor(0.11, reference_floor(0.04))
}

test_a_noisy_reference_excuses_at_most_max_floor if {
	# a reference with 30 % suspicious rows (itself poisoned) lowers the bar by 5 points, not 30
	ids(deny) == {"poisoning.high_risk"} with input as with_floor(0.17, reference_floor(0.30))
	ids(warn) == {"poisoning.medium_risk"} with input as with_floor(0.12, reference_floor(0.30))
	count(deny) == 0 with input as with_floor(0.17, reference_floor(0.30)) with data.org.poisoning as {"max_floor": 0.1}
}

test_no_floor_without_a_vouched_reference if {
	unvouched := {"status": "none", "reason": "the reference's files do not match its lock", "rate": 0.07}
	ids(warn) == {"poisoning.medium_risk"} with input as with_floor(0.07, unvouched)
	ids(warn) == {"poisoning.medium_risk"} with input as with_floor(0.07, {"status": "ok", "rate": "0.07"})
}

test_a_quoted_max_floor_is_denied if {
	ids(deny) == {"poisoning.bad_threshold"} with input as with_floor(0.02, reference_floor(0.01)) with data.org.poisoning as {"max_floor": "0.5"}
}

test_a_floor_without_its_reference_still_judges if {
	ids(deny) == {"poisoning.high_risk"} with input as with_floor(0.5, {"status": "ok", "rate": 0.01})
}
