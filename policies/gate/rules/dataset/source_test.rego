package gate.rules.dataset.source

base := {
	"dataset": {
		"id": "d", "path": "d/dataset.yaml", "classification": "confidential", "purposes": ["model-training"],
		"source": {"id": "crm-export", "trust": "internal", "collected": "2026-01-01", "method": "export", "contact": "x@example.com"},
	},
	"facts": {},
	"context": {"now": "2026-06-01T00:00:00Z"},
}

with_source(patch) := object.union(base, {"dataset": object.union(base.dataset, {"source": object.union(base.dataset.source, patch)})})

ids(set) := {v.id | some v in set}

test_internal_source_passes if {
	count(deny) == 0 with input as base
}

test_raw_source_for_confidential_denied if {
	ids(deny) == {"source.trust_below_minimum"} with input as with_source({"trust": "raw"})
	some v in deny with input as with_source({"trust": "raw"})
	v.message == "source crm-export is 'raw'; confidential data needs 'partner' or above"
	v.field == "source.trust"
}

test_partner_is_enough_for_confidential if {
	count(deny) == 0 with input as with_source({"trust": "partner"})
}

test_raw_is_enough_for_public if {
	inp := object.union(with_source({"trust": "raw"}), {"dataset": object.union(with_source({"trust": "raw"}).dataset, {"classification": "public"})})
	count(deny) == 0 with input as inp
}

test_minimum_comes_from_data if {
	ids(deny) == {"source.trust_below_minimum"} with input as base
		with data.org.minimum_trust as {"confidential": "internal_plus"}
		with data.org.trust_levels as ["unknown", "raw", "curated", "partner", "internal", "internal_plus"]
}

test_unconfigured_classification_denied if {
	"source.trust_unconfigured" in ids(deny) with input as base with data.org.minimum_trust as {}
}

test_source_not_on_allowlist if {
	ids(deny) == {"source.not_allowlisted"} with input as with_source({"id": "shady-broker"})
}

test_empty_allowlist_allows_any_source if {
	count(deny) == 0 with input as with_source({"id": "shady-broker"}) with data.org.allowed_sources as []
}

test_missing_provenance_named_per_field if {
	inp := json.remove(base, [["dataset", "source", "collected"], ["dataset", "source", "method"], ["dataset", "source", "contact"]])
	fields := {v.field | some v in deny; v.id == "source.provenance_missing"} with input as inp
	fields == {"source.collected", "source.method", "source.contact"}
}

test_empty_provenance_value_counts_as_missing if {
	"source.provenance_missing" in ids(deny) with input as with_source({"method": ""})
}

test_future_collection_date_denied if {
	ids(deny) == {"source.collected_in_future"} with input as with_source({"collected": "2027-01-01"})
}
