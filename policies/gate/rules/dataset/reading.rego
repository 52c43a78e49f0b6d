# METADATA
# title: Reading the data
# description: |
#   What gate's one reader found in each file (facts.data): NUL bytes, invalid encodings, a blank
#   first line, ragged rows, unparseable rows, invalid or duplicate-keyed JSON, non-data files. Such a
#   file is ambiguous: two readers can see different values in it. Its bytes are still scanned as
#   text, the loader never serves it, and the policy decides: deny for the classifications in
#   org.data.strict_classifications (default confidential and restricted), warn for the others.
package gate.rules.dataset.reading

import data.gate.lib

strict if input.dataset.classification in object.get(data.org, ["data", "strict_classifications"], ["confidential", "restricted"])

_problem_files contains f if {
	some f in object.get(input.facts, ["data", "files"], [])
	count(f.problems) > 0
}

_message(f) := sprintf("%s cannot be read unambiguously (%s): its bytes were scanned as text; the loader will not serve it", [f.path, concat("; ", [p.message | some p in f.problems])])

# METADATA
# title: Ambiguous or damaged file
# description: A file the one reader cannot read unambiguously, in a dataset whose classification is strict.
# custom:
#   id: data.ambiguous_file
#   severity: high
deny contains object.union(lib.violation("data.ambiguous_file", "high", _message(f), null), {"file": f.path}) if {
	strict
	some f in _problem_files
}

# METADATA
# title: Ambiguous or damaged file (not strict)
# description: The same finding in a dataset of a classification that is not strict is a warning; the loader still refuses the file.
# custom:
#   id: data.ambiguous_file_warning
#   severity: medium
warn contains object.union(lib.violation("data.ambiguous_file_warning", "medium", _message(f), null), {"file": f.path}) if {
	not strict
	some f in _problem_files
}
