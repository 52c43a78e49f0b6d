"""`gate access`: decide access requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import GateError
from ..common import decision_options, options, policy_options, render


def add(sub) -> None:
    access = sub.add_parser("access", help="decide data access requests")
    access.add_argument("--subject")
    access.add_argument("--dataset")
    access.add_argument("--action", choices=["read", "write", "train", "export", "delete"])
    access.add_argument("--purpose")
    access.add_argument("--justification")
    access.add_argument("--model-id")
    access.add_argument("--request", action="extend", nargs="+", type=Path, default=[], metavar="FILE",
                        help="JSON/YAML files, each with one request or a list of them")
    decision_options(access, "save each input document for `gate policy impact`")
    policy_options(access)
    access.set_defaults(run=run)


def run(args) -> int:
    from ...model.request import load_requests, validate_request
    from ...run.access import decide_access

    requests: list[tuple[dict[str, Any], str]] = []
    for path in args.request:
        requests.extend((item, str(path)) for item in load_requests(path))
    flags = {k: getattr(args, k) for k in ("subject", "dataset", "action", "purpose", "justification", "model_id")}
    if any(v is not None for v in flags.values()):
        request = {k: v for k, v in flags.items() if v is not None}
        validate_request(request, "command line")
        requests.append((request, "command line"))
    if not requests:
        raise GateError("give --subject, --dataset, --action and --purpose, or --request FILE")
    return render(decide_access(requests, options(args), record=args.record, explain=args.explain), args)
