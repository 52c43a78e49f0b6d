# METADATA
# title: Integrity
# description: The files a dataset covers must match its lock (dataset.lock) byte for byte.
package gate.rules.dataset.integrity

import data.gate.lib

facts := input.facts.integrity

# METADATA
# title: No manifest
# description: A dataset without dataset.lock cannot be verified; run `gate manifest update`.
# custom:
#   id: integrity.no_manifest
#   severity: high
deny contains object.union(lib.violation("integrity.no_manifest", "high", msg, null), {"file": facts.manifest.path}) if {
	not facts.manifest.present
	msg := sprintf("dataset %s has no manifest %s; run `gate manifest update`", [input.dataset.id, facts.manifest.path])
}

# METADATA
# title: Manifest belongs to another dataset
# description: A lock copied from another dataset is refused.
# custom:
#   id: integrity.manifest_dataset_mismatch
#   severity: high
deny contains object.union(lib.violation("integrity.manifest_dataset_mismatch", "high", msg, null), {"file": facts.manifest.path}) if {
	facts.manifest.present
	facts.manifest.dataset != input.dataset.id
	msg := sprintf("manifest is for dataset %s, not %s", [facts.manifest.dataset, input.dataset.id])
}

# METADATA
# title: File differs from the manifest
# description: A file whose sha256 or size differs from the lock was changed or tampered with.
# custom:
#   id: integrity.file_mismatch
#   severity: critical
deny contains _file_violation("integrity.file_mismatch", "critical", f, msg) if {
	some f in facts.files
	f.status == "mismatch"
	msg := sprintf("%s does not match the manifest (sha256 %s…, expected %s…)", [f.path, substring(f.sha256, 0, 12), substring(f.expected_sha256, 0, 12)])
}

# METADATA
# title: File missing
# description: A file recorded in the lock is gone.
# custom:
#   id: integrity.file_missing
#   severity: high
deny contains _file_violation("integrity.file_missing", "high", f, msg) if {
	some f in facts.files
	f.status == "missing"
	msg := sprintf("%s is in the manifest but missing", [f.path])
}

# METADATA
# title: File not in the manifest
# description: A file the descriptor covers that the lock does not record; update the lock after review.
# custom:
#   id: integrity.file_undeclared
#   severity: high
deny contains _file_violation("integrity.file_undeclared", "high", f, msg) if {
	facts.manifest.present
	some f in facts.files
	f.status == "undeclared"
	msg := sprintf("%s is not in the manifest", [f.path])
}

# METADATA
# title: Path outside the repository
# description: A files pattern, a lock entry or a link that points outside the repository; never read.
# custom:
#   id: integrity.path_outside_repo
#   severity: critical
deny contains object.union(lib.violation("integrity.path_outside_repo", "critical", msg, "files"), {"file": input.dataset.path}) if {
	some f in facts.files
	f.status == "outside_repo"
	msg := sprintf("%s points outside the repository and was not read", [f.path])
}

# METADATA
# title: Locked file not matched
# description: The lock lists a file the descriptor's files globs do not match (or exclude does); lock, globs and directory must agree.
# custom:
#   id: integrity.file_unmatched
#   severity: high
deny contains _file_violation("integrity.file_unmatched", "high", f, msg) if {
	some f in facts.files
	f.status == "unmatched"
	msg := sprintf("%s is in the manifest but the descriptor's files patterns do not cover it", [f.path])
}

# METADATA
# title: File neither covered nor excluded
# description: Every regular file under the dataset directory is covered by files or named by exclude; anything else (a case variant, a hidden file, a look-alike name) is refused.
# custom:
#   id: integrity.file_uncovered
#   severity: high
deny contains _file_violation("integrity.file_uncovered", "high", f, msg) if {
	some f in facts.files
	f.status == "uncovered"
	msg := sprintf("%s lies in the dataset directory but is neither covered by files nor excluded", [f.path])
}

# METADATA
# title: Path outside the dataset
# description: A files pattern, a lock entry or a link that leads out of the dataset's directory (into another dataset, say); never read.
# custom:
#   id: integrity.path_outside_dataset
#   severity: critical
deny contains object.union(lib.violation("integrity.path_outside_dataset", "critical", msg, "files"), {"file": input.dataset.path}) if {
	some f in facts.files
	f.status == "outside_dataset"
	msg := sprintf("%s leads out of the dataset's directory (%s) and was not read", [f.path, object.get(f, "reason", "outside")])
}

# METADATA
# title: Not a regular file
# description: A FIFO, socket, device or a link to a directory in a dataset is refused without being opened.
# custom:
#   id: integrity.not_regular_file
#   severity: critical
deny contains _file_violation("integrity.not_regular_file", "critical", f, msg) if {
	some f in facts.files
	f.status == "not_regular"
	msg := sprintf("%s is %s", [f.path, object.get(f, "reason", "not a regular file")])
}

# METADATA
# title: Deceptive file name
# description: Names with control or invisible characters, leading or trailing blanks, bytes that are not UTF-8, or twins that differ only by case or Unicode normalization.
# custom:
#   id: integrity.ambiguous_name
#   severity: high
deny contains object.union(lib.violation("integrity.ambiguous_name", "high", msg, "files"), {"file": input.dataset.path}) if {
	some a in object.get(facts, "ambiguous_names", [])
	msg := sprintf("%s: %s", [a.path, a.reason])
}

# METADATA
# title: Pattern matches nothing
# description: A files pattern that matches no file is usually a typo.
# custom:
#   id: integrity.pattern_unmatched
#   severity: low
warn contains lib.violation("integrity.pattern_unmatched", "low", msg, "files") if {
	some pattern in facts.unmatched_patterns
	msg := sprintf("files pattern '%s' matches no file", [pattern])
}

# METADATA
# title: Dataset covers no files
# description: A descriptor that covers no data file protects nothing.
# custom:
#   id: integrity.no_files
#   severity: medium
warn contains lib.violation("integrity.no_files", "medium", msg, "files") if {
	count(facts.files) == 0
	msg := sprintf("dataset %s covers no files", [input.dataset.id])
}

_file_violation(id, severity, f, msg) := {"id": id, "severity": severity, "message": msg, "file": f.path}
