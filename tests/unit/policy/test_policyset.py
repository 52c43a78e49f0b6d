"""gate.policy in-process: the policy digest (data, where the policies were read) and every shipped
rule's METADATA."""

from __future__ import annotations

import re

from conftest import write
from gate.policy import builtin_policy_dir, load_policy_set


def test_policy_digest_changes_with_data(tmp_path):
    base = load_policy_set([builtin_policy_dir()])
    other = load_policy_set([builtin_policy_dir()], [write(tmp_path / "d.yaml", "org:\n  retention_warning_days: 5\n")])
    assert base.digest != other.digest
    assert base.digest == load_policy_set([builtin_policy_dir()]).digest


def test_policy_digest_does_not_depend_on_where_the_policies_were_read(tmp_path):
    """The wheel ships the policies as gate/_policies, a checkout has policies/: one digest, so audit entries
    from hooks, CI and people match. Every module the engine loads is in it, tests included."""
    import shutil

    from gate.policy import builtin_policy_dir, load_policy_set

    here = load_policy_set([builtin_policy_dir()])
    copy = tmp_path / "site-packages" / "gate" / "_policies"
    shutil.copytree(builtin_policy_dir(), copy)
    assert load_policy_set([copy]).digest == here.digest
    # a _test.rego module can hold any rule the engine evaluates: it is part of what decides
    evil = copy / "gate" / "evil_test.rego"
    evil.write_text('package gate.rules.dataset.evil\nimport data.gate.lib\n'
                    'deny contains lib.violation("evil.always", "high", "always", "id") if { true }\n')
    assert load_policy_set([copy]).digest != here.digest
    evil.unlink()
    assert load_policy_set([copy]).digest == here.digest
    rule = next(p for p in copy.rglob("*.rego") if "rules" in p.parts)
    rule.write_text(rule.read_text() + "\n# reviewed\n")
    assert load_policy_set([copy]).digest != here.digest


def test_every_shipped_rule_has_metadata():
    policies = load_policy_set([builtin_policy_dir()])
    rules = policies.rules()
    emitted = set()
    for module in policies.modules:
        if "/rules/" in module.name and not module.name.endswith("_test.rego"):
            emitted.update(re.findall(r'lib\.violation\("([a-z_.]+)"', module.source))
            emitted.update(re.findall(r'_file_violation\("([a-z_.]+)"', module.source))
    assert emitted, "found no rule ids"
    missing = emitted - set(rules)
    assert not missing, f"rules without METADATA custom.id: {missing}"
    for rule in rules.values():
        assert rule.title and rule.description and rule.severity in {"critical", "high", "medium", "low", "info"}
