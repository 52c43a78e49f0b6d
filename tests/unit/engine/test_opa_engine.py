"""OPA's in-process engine: the query shared by every entrypoint and an entrypoint's own query (after
PROMOTE_AFTER decisions) give the same answers and the same errors."""

from __future__ import annotations

import json

import pytest

from conftest import ENGINES, EXAMPLE_REPO, EXAMPLES, NOW
from gate.errors import EngineError
from gate.policy import builtin_policy_dir, load_policy_set
from gate.repo import Repo
from gate.run.access import access_input
from gate.run.datasets import find_dataset

pytestmark = pytest.mark.skipif("opa" not in ENGINES, reason="OPA's in-process engine is not installed")


def _inputs() -> list[dict]:
    repo = Repo.at(EXAMPLE_REPO)
    documents = []
    for path in sorted((EXAMPLES / "requests").glob("*.json")):
        request = json.loads(path.read_text())
        for now in (NOW, "2031-01-01T00:00:00Z"):
            documents.append(access_input(request, find_dataset(request["dataset"], repo),
                                          {"now": now, "repo": "r", "commit": None, "gate_version": "t"}))
    return documents


def test_an_entrypoints_own_query_answers_as_the_shared_query_did():
    from gate.engine import opa_engine

    policies = load_policy_set([builtin_policy_dir()])
    shared, promoted = opa_engine.OpaEngine(), opa_engine.OpaEngine()
    shared.load(policies)
    promoted.load(policies)
    try:
        documents = _inputs()
        assert len(documents) >= 10
        # every answer of `shared` comes from the shared query (a fresh load per answer resets the count)
        expected = []
        for document in documents:
            shared.load(policies)
            expected.append(shared.evaluate("gate.access.decision", document))
        assert {d["allow"] for d in expected} == {True, False}
        for _ in range(opa_engine.PROMOTE_AFTER):
            promoted.evaluate("gate.access.decision", documents[0])
        assert promoted._promoted("gate.access.decision")
        assert [promoted.evaluate("gate.access.decision", d) for d in documents] == expected
        # an undefined entrypoint is an error in both forms, never an empty answer
        for _ in range(opa_engine.PROMOTE_AFTER + 2):
            with pytest.raises(EngineError, match="undefined"):
                promoted.evaluate("gate.access.no_such_rule", documents[0])
    finally:
        shared.close()
        promoted.close()
