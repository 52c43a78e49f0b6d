# METADATA
# title: Custody
# description: Who vouched for a dataset's lock (signatures) and whether its files are sealed at rest.
package gate.rules.dataset.custody

import data.gate.lib

sig := input.facts.signature

seal := input.facts.sealing

classification := input.dataset.classification

lock_path := input.facts.integrity.manifest.path

signature_required if classification in object.get(data.org, ["signature", "required_classifications"], [])

sealing_required if classification in object.get(data.org, ["sealing", "required_classifications"], [])

# A signer from org.signers trusted for this dataset: its `datasets` globs (default any) match the
# id and its `classifications` (default any) include the classification.
trusted_for_dataset(keyid) if {
	signer := data.org.signers[keyid]
	_dataset_in_scope(signer)
	_classification_in_scope(signer)
}

_dataset_in_scope(signer) if not signer.datasets

_dataset_in_scope(signer) if {
	some pattern in signer.datasets
	glob.match(pattern, [], input.dataset.id)
}

_classification_in_scope(signer) if not signer.classifications

_classification_in_scope(signer) if classification in signer.classifications

trusted_signatures contains s if {
	some s in sig.signatures
	s.status == "valid"
	trusted_for_dataset(s.keyid)
}

# METADATA
# title: Signature missing
# description: Datasets of the classifications in org.signature.required_classifications need a lock signed by a trusted signer (`gate manifest sign`).
# custom:
#   id: signature.missing
#   severity: high
deny contains object.union(lib.violation("signature.missing", "high", msg, null), {"file": lock_path}) if {
	signature_required
	sig.count == 0
	msg := sprintf("%s data needs a signed lock; %s has no signature (run `gate manifest sign`)", [classification, lock_path])
}

# METADATA
# title: Signature invalid
# description: A signature that does not verify, or vouches for other files than the lock lists, means the lock was altered after signing.
# custom:
#   id: signature.invalid
#   severity: critical
deny contains object.union(lib.violation("signature.invalid", "critical", msg, null), {"file": lock_path}) if {
	some s in sig.signatures
	s.status == "invalid"
	msg := sprintf("signature by %s on %s is invalid: %s", [_who(s), lock_path, s.problem])
}

# METADATA
# title: Signer not trusted
# description: Signatures exist but none is by a signer that org.signers trusts for this dataset and classification.
# custom:
#   id: signature.untrusted
#   severity: high
deny contains object.union(lib.violation("signature.untrusted", "high", msg, null), {"file": lock_path}) if {
	signature_required
	sig.count > 0
	count(trusted_signatures) == 0
	not _any_invalid
	msg := sprintf("%s is signed only by %s; none is trusted for %s data of dataset %s", [lock_path, concat(", ", sort([_describe(s) | some s in sig.signatures])), classification, input.dataset.id])
}

_any_invalid if {
	some s in sig.signatures
	s.status == "invalid"
}

_who(s) := s.signer if is_string(s.signer)
else := sprintf("key %s", [substring(object.get(s, "keyid", "?"), 0, 16)]) if is_string(s.keyid)
else := "an unnamed key"

_describe(s) := sprintf("%s (unknown signer)", [_who(s)]) if s.status == "unknown_signer"
else := sprintf("%s (not trusted for this dataset)", [_who(s)])

# METADATA
# title: Not sealed at rest
# description: Datasets of the classifications in org.sealing.required_classifications must be sealed in the repository (`gate seal`); plain files are refused.
# custom:
#   id: sealing.plain_files
#   severity: high
deny contains object.union(lib.violation("sealing.plain_files", "high", msg, null), {"file": input.dataset.path}) if {
	sealing_required
	seal.plain_count > 0
	msg := sprintf("%s data must be sealed at rest; %d file(s) are plain, e.g. %s (run `gate seal`)", [classification, seal.plain_count, seal.plain_files[0]])
}

# METADATA
# title: Sealed file without plain digest
# description: A sealed file whose lock entry lacks the plaintext's digest cannot be checked after unsealing.
# custom:
#   id: sealing.plain_digest_missing
#   severity: medium
warn contains object.union(lib.violation("sealing.plain_digest_missing", "medium", msg, null), {"file": lock_path}) if {
	some path in seal.sealed_without_plain_digest
	msg := sprintf("%s is sealed but the lock does not record its plaintext digest; seal it with `gate seal`", [path])
}

# METADATA
# title: Signed version rolled back
# description: The lock's newest valid signature has a lower version than the one signed at the base revision (`gate check --changed-since`), i.e. old data brought back with its old signed lock.
# custom:
#   id: signature.rollback
#   severity: critical
deny contains object.union(lib.violation("signature.rollback", "critical", msg, null), {"file": lock_path}) if {
	is_number(sig.base_version)
	not _version_at_least(sig.base_version)
	msg := sprintf("%s is signed at version %v, lower than version %d at the base revision: a rollback to older data", [lock_path, _version_text, sig.base_version])
}

_version_at_least(v) if {
	is_number(sig.version)
	sig.version >= v
}

_version_text := sprintf("%d", [sig.version]) if is_number(sig.version)
else := "none (no valid signature)"

# METADATA
# title: Signature too old
# description: org.signature.max_age_days bounds how long a signature vouches for a dataset of a classification that needs one; re-sign after review.
# custom:
#   id: signature.too_old
#   severity: high
deny contains object.union(lib.violation("signature.too_old", "high", msg, null), {"file": lock_path}) if {
	signature_required
	max_days := object.get(data.org, ["signature", "max_age_days"], null)
	is_number(max_days)
	count(trusted_signatures) > 0
	newest := max([time.parse_rfc3339_ns(s.signed_at) | some s in trusted_signatures])
	lib.now_ns - newest > max_days * lib.day_ns
	msg := sprintf("the newest trusted signature on %s is older than %d days (org.signature.max_age_days)", [lock_path, max_days])
}

# METADATA
# title: Sealed file is not an age file
# description: A file named *.age must start with the age v1 header; anything else only pretends to be sealed.
# custom:
#   id: sealing.not_age
#   severity: critical
deny contains object.union(lib.violation("sealing.not_age", "critical", msg, null), {"file": path}) if {
	some path in object.get(seal, "not_age", [])
	msg := sprintf("%s is named like a sealed file but is not in the age format", [path])
}

# METADATA
# title: Sealed file without bound facts
# description: gate check cannot read a sealed file; it decides on the facts computed over the plaintext when it was sealed and bound in the lock. A sealed file without them is refused (seal it again with `gate seal`).
# custom:
#   id: sealing.facts_missing
#   severity: high
deny contains object.union(lib.violation("sealing.facts_missing", "high", msg, null), {"file": lock_path}) if {
	some path in object.get(seal, "sealed_without_facts", [])
	msg := sprintf("%s is sealed but the lock binds no facts computed over its plaintext (unseal and seal it again with gate seal)", [path])
}

# METADATA
# title: Facts of sealed files without a trusted signature
# description: Facts bound in the lock count only when a trusted signer vouches for the lock; anyone can edit an unsigned lock.
# custom:
#   id: sealing.facts_unsigned
#   severity: high
deny contains object.union(lib.violation("sealing.facts_unsigned", "high", msg, null), {"file": lock_path}) if {
	seal.sealed > 0
	count(trusted_signatures) == 0
	not _any_invalid
	msg := sprintf("%s holds sealed files whose facts come from the lock, but no trusted signer vouches for it (run `gate manifest sign`)", [lock_path])
}
