package gate.rules.dataset.compliance

base := {
	"dataset": {
		"id": "d", "path": "d/dataset.yaml", "classification": "internal", "purposes": ["model-training"],
		"source": {
			"id": "s", "trust": "internal", "collected": "2026-01-01", "legal_basis": "contract",
			"data_subjects": "customers", "retention_days": 365,
		},
	},
	"facts": {},
	"context": {"now": "2026-06-01T00:00:00Z"},
}

with_source(patch) := object.union(base, {"dataset": object.union(base.dataset, {"source": object.union(base.dataset.source, patch)})})

without_source_key(key) := json.remove(base, [["dataset", "source", key]])

at(now) := object.union(base, {"context": {"now": now}})

ids(set) := {v.id | some v in set}

test_documented_dataset_passes if {
	count(deny) == 0 with input as base
	count(warn) == 0 with input as base
}

test_legal_basis_missing if {
	ids(deny) == {"compliance.legal_basis_missing"} with input as without_source_key("legal_basis")
}

test_data_subjects_missing if {
	ids(deny) == {"compliance.data_subjects_missing"} with input as without_source_key("data_subjects")
}

test_no_purposes if {
	inp := object.union(base, {"dataset": object.union(base.dataset, {"purposes": []})})
	ids(deny) == {"compliance.no_purposes"} with input as inp
}

test_unknown_purpose_warns if {
	inp := object.union(base, {"dataset": object.union(base.dataset, {"purposes": ["model-training", "upselling"]})})
	ids(warn) == {"compliance.unknown_purpose"} with input as inp
	count(deny) == 0 with input as inp
}

test_retention_expired_on_the_day if {
	# 2026-01-01 + 365 days = 2027-01-01
	ids(deny) == {"compliance.retention_expired"} with input as at("2027-01-01T00:00:00Z")
	some v in deny with input as at("2027-01-01T00:00:00Z")
	v.message == "retention ended on 2027-01-01 (collected 2026-01-01 + 365 days); the data must be deleted"
}

test_retention_not_expired_a_second_before if {
	count(deny) == 0 with input as at("2026-12-31T23:59:59Z")
	ids(warn) == {"compliance.retention_ending"} with input as at("2026-12-31T23:59:59Z")
}

test_retention_ending_counts_days if {
	some v in warn with input as at("2026-12-12T00:00:00Z")
	v.message == "retention ends on 2027-01-01, in 20 days"
}

test_retention_warning_window_from_data if {
	count(warn) == 0 with input as at("2026-12-12T00:00:00Z") with data.org.retention_warning_days as 10
}

test_retention_missing_warns if {
	ids(warn) == {"compliance.retention_missing"} with input as without_source_key("retention_days")
	count(deny) == 0 with input as without_source_key("retention_days")
}
