# METADATA
# title: Shared helpers
# description: Helpers the shipped rules share; no decisions here.
package gate.lib

# Position of a trust level; unknown levels rank below everything.
trust_rank(level) := i if {
	some i, l in data.org.trust_levels
	l == level
} else := -1

# Nanoseconds since the epoch of the decision time the gate passes in.
now_ns := time.parse_rfc3339_ns(input.context.now)

# A YYYY-MM-DD date as nanoseconds since the epoch (UTC midnight).
date_ns(date) := time.parse_ns("2006-01-02", date)

day_ns := ((24 * 60) * 60) * 1000000000

# A violation object as every rule returns it.
violation(id, severity, message, field) := {
	"id": id,
	"severity": severity,
	"message": message,
	"field": field,
}

# Turns whatever a rule put in deny/warn into a violation object.
normalize(v, level, file) := object.union({"severity": "medium", "file": file}, object.union(v, {"level": level})) if {
	is_object(v)
	v.id
} else := {"id": "custom.unnamed", "severity": "medium", "file": file, "level": level, "message": sprintf("%v", [v])}
