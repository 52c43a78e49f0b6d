# METADATA
# title: Data issues
# description: >-
#   Judges the data issues cleanlab's Datalab reports (input.facts.poisoning.data_issues):
#   duplicate rows beyond chance, a class far below its fair share, rows whose order carries
#   information, constant columns, mostly-empty columns and empty rows. Warnings only: each says
#   how the data will mislead training or evaluation, not that it was tampered with. Thresholds
#   in org.data_quality.
package gate.rules.dataset.data_quality

import data.gate.lib

facts := input.facts.poisoning

issues := facts.data_issues

thresholds := object.union(
	{
		"duplicate_rate": 0.05,
		"coarse_chance": 0.05,
		"imbalance_ratio": 0.1,
		"order_p": 0.000001,
		"order_closeness": 0.1,
		"order_cramers_v": 0.1,
		"null_share": 0.5,
	},
	_configured,
)

_given := c if {
	c := data.org.data_quality
	is_object(c)
} else := {}

_configured := {k: v |
	some k, v in _given
	is_number(v)
}

# METADATA
# title: Data-quality threshold not a number
# description: >-
#   A value in org.data_quality is not a number (a quoted "0.05"): it is ignored and the default
#   applies, and this says so (compared with a string, a rule would silently never or always fire).
# custom:
#   id: data_quality.bad_threshold
#   severity: medium
warn contains lib.violation("data_quality.bad_threshold", "medium", msg, null) if {
	some k, v in _given
	not is_number(v)
	msg := sprintf("org.data_quality.%s is %v, not a number: the default %v applies", [k, v, object.get(thresholds, k, "(none)")])
}

_ok if {
	facts.status == "ok"
	is_object(issues)
}

percent(share) := round(share * 1000) / 10

# METADATA
# title: Duplicate rows
# description: >-
#   More rows than org.data_quality.duplicate_rate are copies of other rows (identical in every
#   analysed feature and the text, or near-identical), beyond the copies chance gives; features so
#   coarse that chance alone gives org.data_quality.coarse_chance copies are not judged. Copies
#   weigh some examples more than others and leak between training and test splits.
# custom:
#   id: data_quality.duplicates
#   severity: medium
warn contains lib.violation("data_quality.duplicates", "medium", msg, "schema.features") if {
	_ok
	d := issues.duplicates
	excess := _beyond_chance(d.exact_share, d.chance_exact_share) + _beyond_chance(d.near_share, d.chance_near_share)
	excess > thresholds.duplicate_rate
	msg := sprintf("%d rows (%v%%) are copies of other rows (%d exact, %d near-identical; %d groups of copies carry different labels); the limit is %v%% beyond chance", [d.exact_rows + d.near_rows, percent(excess), d.exact_rows, d.near_rows, d.conflicting_groups, percent(thresholds.duplicate_rate)])
}

# Copies beyond those chance gives; none where chance alone gives many (features so coarse that
# distinct records agree on everything, and the independence estimate of chance is too rough to
# tell copies from records).
_beyond_chance(share, chance) := 0 if {
	chance >= thresholds.coarse_chance
} else := max([0, share - chance])

# METADATA
# title: Class imbalance
# description: >-
#   The rarest class holds less than org.data_quality.imbalance_ratio of its fair share (1 / the
#   number of classes), as Datalab's class_imbalance check judges: accuracy and the label-issue
#   facts say little about that class.
# custom:
#   id: data_quality.class_imbalance
#   severity: low
warn contains lib.violation("data_quality.class_imbalance", "low", msg, "schema.label") if {
	_ok
	c := issues.class_imbalance
	c.ran
	c.ratio_to_fair < thresholds.imbalance_ratio
	msg := sprintf("%s has %d rows (%v%% of labelled rows; a fair share is %v%%)", [_class_name(c), c.rarest_rows, percent(c.rarest_share), percent(c.fair_share)])
}

# A class of a few rows is not named (the facts leave its name out): the name may identify them.
_class_name(c) := sprintf("class '%s'", [c.rarest]) if is_string(c.rarest)
else := "the rarest class"

# METADATA
# title: Rows not in random order
# description: >-
#   The rows' order carries information: rows that are alike sit together in the file (their
#   nearest neighbours are nearer in the file than chance), or the label's distribution changes
#   along the file. A split by position then trains and tests on different data; shuffle first.
# custom:
#   id: data_quality.non_iid
#   severity: low
warn contains lib.violation("data_quality.non_iid", "low", msg, "schema.label") if {
	_ok
	parts := [p | some p in _order_findings]
	count(parts) > 0
	msg := sprintf("the rows are not in random order: %s; shuffle before splitting by position", [concat("; ", parts)])
}

_order_findings contains sprintf("alike rows sit together (neighbours %v%% nearer in the file than chance)", [percent(n.closeness)]) if {
	n := issues.non_iid.neighbours
	n.ran
	n.p_value < thresholds.order_p
	n.closeness >= thresholds.order_closeness
}

_order_findings contains sprintf("the label's distribution changes along the file (Cramér's V %v over %d blocks)", [round(l.cramers_v * 100) / 100, l.blocks]) if {
	l := issues.non_iid.label_order
	l.ran
	l.p_value < thresholds.order_p
	l.cramers_v >= thresholds.order_cramers_v
}

# METADATA
# title: Constant column
# description: A column holds the same value on every row; it tells a model nothing.
# custom:
#   id: data_quality.constant_column
#   severity: low
warn contains lib.violation("data_quality.constant_column", "low", msg, "schema.features") if {
	_ok
	count(issues.constant_columns) > 0
	msg := sprintf("one value on every row: column %s", [concat(", ", [sprintf("'%s'", [c]) | some c in issues.constant_columns])])
}

# METADATA
# title: Mostly empty column
# description: >-
#   A column is missing on at least org.data_quality.null_share of the rows: what a model learns
#   from it is mostly how it was imputed.
# custom:
#   id: data_quality.null_heavy_column
#   severity: low
warn contains lib.violation("data_quality.null_heavy_column", "low", msg, "schema.features") if {
	_ok
	heavy := [sprintf("'%s' (%v%%)", [c.column, percent(c.null_share)]) | some c in issues.null_columns; c.null_share >= thresholds.null_share]
	count(heavy) > 0
	msg := sprintf("mostly missing: column %s", [concat(", ", heavy)])
}

# METADATA
# title: Empty rows
# description: Rows with nothing but (at most) a label.
# custom:
#   id: data_quality.empty_rows
#   severity: low
warn contains lib.violation("data_quality.empty_rows", "low", msg, "schema.features") if {
	_ok
	issues.empty_rows > 0
	msg := sprintf("%d of %d rows hold nothing but the label", [issues.empty_rows, facts.rows])
}
