"""`gate eval ENTRYPOINT --input FILE`: one evaluation, for policy authors."""

from __future__ import annotations

import json
from pathlib import Path

from ...errors import GateError
from ..common import emit, options, policy_options


def add(sub) -> None:
    evaluate = sub.add_parser("eval", help="evaluate an entrypoint on an input document (for policy authors)")
    evaluate.add_argument("entrypoint", help="e.g. data.gate.dataset.decision")
    evaluate.add_argument("--input", type=Path, required=True, metavar="FILE", help="input document (JSON/YAML)")
    policy_options(evaluate, formats=False)
    evaluate.add_argument("--output", type=Path, metavar="FILE")
    evaluate.set_defaults(run=run)


def run(args) -> int:
    from ...model.documents import load_document
    from ...run.session import Session

    document, _ = load_document(args.input, GateError, str(args.input))
    session = Session.open(options(args))
    try:
        result = session.engine.evaluate(args.entrypoint, document)
    finally:
        session.close()
    body = {"engine": session.engine.name, "policy_digest": session.digest, "result": result}
    emit(json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n", args.output)
    return 0
