"""`gate policy impact --base REF`: which decisions flip if this policy change merges.

The policies at git REF (each policy directory's files as committed there, read with `git archive`)
and in the working tree are loaded into two engines; every input document of the corpus is
decided by both; a flip is an allow that became a deny or back, or a violation id (at its level)
that appeared or vanished. The corpus: input documents recorded with `gate check --record DIR` /
`gate access --record DIR` (`--corpus DIR`), the datasets under the given paths and the access
requests of `--request` files (their facts computed now, with the working tree's policy data),
and access requests replayed from an audit log (`--audit-log`, verified first).
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..run.session import ACCESS_ENTRYPOINT, DATASET_ENTRYPOINT, Options, Session
from ..errors import GateError, PolicyError


@dataclass
class Flip:
    """How one input's decision changed."""

    kind: str
    label: str
    base_allow: bool
    head_allow: bool
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "base_allow": self.base_allow, "head_allow": self.head_allow,
                "added": self.added, "removed": self.removed}


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        raise GateError(f"cannot run git ({exc.__class__.__name__})") from None


def materialize(directory: Path, ref: str, into: Path) -> Path:
    """The policy directory as committed at ``ref``, extracted under ``into`` (same directory name)."""
    from ..repo import GitError, safe_ref

    try:
        ref = safe_ref(ref, "--base")
    except GitError as exc:
        raise PolicyError(exc.message) from None
    directory = directory.resolve()
    top = _git(["rev-parse", "--show-toplevel"], directory)
    if top.returncode != 0:
        raise PolicyError("not inside a git repository: --base needs the policies under git", str(directory))
    root = Path(top.stdout.decode().strip()).resolve()
    try:
        rel = directory.relative_to(root).as_posix()
    except ValueError:
        raise PolicyError("the policy directory is outside the git repository", str(directory)) from None
    archive = _git(["archive", "--format=tar", ref, "--", rel], root)
    if archive.returncode != 0:
        reason = (archive.stderr.decode(errors="replace").strip().splitlines() or ["unknown error"])[-1][:200]
        raise PolicyError(f"cannot read the policies at {ref}: {reason}", str(directory))
    target = into / directory.name
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        prefix = rel + "/"
        for member in tar.getmembers():
            name = member.name
            if not (member.isfile() and name.startswith(prefix)) or ".." in Path(name).parts:
                continue
            out = target / name[len(prefix):]
            out.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is not None:
                out.write_bytes(source.read())
    if not target.exists():
        raise PolicyError(f"the policy directory does not exist at {ref}", str(directory))
    return target


def materialize_file(path: Path, ref: str, into: Path) -> Path | None:
    """A policy data file as committed at ``ref`` (extracted under ``into``), so that a change of the
    data alone is compared too; None when it did not exist at ``ref``. A file outside git is the same
    on both sides."""
    from ..repo import GitError, safe_ref

    try:
        ref = safe_ref(ref, "--base")
    except GitError as exc:
        raise PolicyError(exc.message) from None
    path = Path(path).resolve()
    top = _git(["rev-parse", "--show-toplevel"], path.parent)
    if top.returncode != 0:
        return path
    root = Path(top.stdout.decode().strip()).resolve()
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        return path
    if _git(["ls-files", "--error-unmatch", "--", rel], root).returncode != 0:
        return path  # not tracked: the working tree's copy is all there is
    shown = _git(["show", f"{ref}:{rel}"], root)
    if shown.returncode != 0:
        return None  # added since ref: the base decides without it
    target = into / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(shown.stdout)
    return target


def load_corpus(directories: list[Path]) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, label, input) of every recorded document under the directories."""
    from ..model.documents import read_bounded

    out = []
    for directory in directories:
        files = sorted(directory.rglob("*.json")) if directory.is_dir() else [directory]
        if not files:
            raise GateError("no recorded inputs (*.json) found", str(directory))
        for path in files:
            text = read_bounded(path, GateError, str(path), limit=64 * 1024 * 1024)
            try:
                body = json.loads(text)
            except ValueError:
                raise GateError("not a recorded input (invalid JSON)", str(path)) from None
            if not isinstance(body, dict) or body.get("gate_record") != 1 or body.get("kind") not in ("dataset", "access") \
                    or not isinstance(body.get("input"), dict):
                raise GateError("not a recorded input (gate_record 1 with kind and input)", str(path))
            out.append((body["kind"], str(body.get("label") or path.stem), body["input"]))
    return out


def audit_requests(log: Path, key: bytes) -> list[tuple[dict[str, Any], str]]:
    """Access requests replayed from a verified audit log (subject, action, dataset, purpose)."""
    from ..report.compliance import load_audit

    requests, seen = [], set()
    for entry in load_audit(log, key)["entries"]:
        if entry.get("action") == "check" or not entry.get("dataset") or not entry.get("purpose"):
            continue
        action = str(entry.get("action", "")).removeprefix("load:")
        request = {"subject": str(entry.get("actor")), "dataset": str(entry["dataset"]), "action": action,
                   "purpose": str(entry["purpose"])}
        key_ = tuple(sorted(request.items()))
        if action in ("read", "write", "train", "export", "delete") and key_ not in seen:
            seen.add(key_)
            requests.append((request, f"{log}#{entry.get('seq')}"))
    return requests


def _signature(decision: dict[str, Any]) -> tuple[bool, set[str]]:
    return bool(decision["allow"]), {f"{v.get('level')}:{v.get('id')}" for v in decision["violations"]
                                     if isinstance(v, dict)}


def compare(documents: list[tuple[str, str, dict[str, Any]]], base: Session, head: Session, now: str
            ) -> tuple[list[Flip], list[str]]:
    """Decide each document under both sessions; the flips, and inputs that failed on either side."""
    flips, errors = [], []
    for kind, label, document in documents:
        entry = DATASET_ENTRYPOINT if kind == "dataset" else ACCESS_ENTRYPOINT
        document = {**document, "context": {**document.get("context", {}), "now": now}}
        try:
            before = _signature(base.decide(entry, document))
            after = _signature(head.decide(entry, document))
        except GateError as exc:
            errors.append(f"{kind} {label}: {exc}")
            continue
        if before != after:
            flips.append(Flip(kind, label, before[0], after[0], sorted(after[1] - before[1]), sorted(before[1] - after[1])))
    return flips, errors


def render_text(flips: list[Flip], total: int, errors: list[str], ref: str) -> str:
    lines = []
    by_rule: dict[str, list[str]] = {}
    for flip in flips:
        change = "" if flip.base_allow == flip.head_allow else ("  allow -> DENY" if flip.base_allow else "  deny -> ALLOW")
        for item in flip.added:
            by_rule.setdefault(item.split(":", 1)[1], []).append(f"  + {item.split(':')[0]:<6} {flip.kind} {flip.label}{change}")
        for item in flip.removed:
            by_rule.setdefault(item.split(":", 1)[1], []).append(f"  - {item.split(':')[0]:<6} {flip.kind} {flip.label}{change}")
        if not flip.added and not flip.removed:
            by_rule.setdefault("(allow only)", []).append(f"  {flip.kind} {flip.label}{change}")
    for rule in sorted(by_rule):
        lines.append(rule)
        lines.extend(by_rule[rule])
    for error in errors:
        lines.append(f"ERROR  {error}")
    allow_flips = sum(1 for f in flips if f.base_allow != f.head_allow)
    lines.append(f"{len(flips)} of {total} decisions change against {ref} ({allow_flips} flip allow/deny)")
    return "\n".join(lines) + "\n"


def run(ref: str, policy_dirs: list[Path], builtin: bool, data_files: list[Path], engine: str,
        documents: list[tuple[str, str, dict[str, Any]]], now: str) -> tuple[list[Flip], list[str]]:
    """Open sessions on the policies at ``ref`` and in the working tree and compare them."""
    from . import policy_dirs as assemble

    dirs = assemble(builtin, policy_dirs)
    if not dirs:
        raise PolicyError("no policies to compare: give --policy DIR or drop --no-builtin-policies")
    with tempfile.TemporaryDirectory(prefix="gate-impact-") as tmp:
        base_dirs = []
        for index, directory in enumerate(dirs):
            if builtin and index == 0 and _git(["rev-parse", "--show-toplevel"], directory).returncode != 0:
                base_dirs.append(directory)  # gate's own policies, installed outside git: the same on both sides
                continue
            base_dirs.append(materialize(directory, ref, Path(tmp) / str(index)))
        base_data = [materialize_file(path, ref, Path(tmp) / "data" / str(index)) for index, path in enumerate(data_files)]
        base = Session.open(Options(policy_dirs=tuple(base_dirs), data_files=tuple(p for p in base_data if p),
                                    builtin_policies=False, engine=engine))
        head = Session.open(Options(policy_dirs=tuple(dirs), data_files=tuple(data_files), builtin_policies=False,
                                    engine=engine))
        try:
            return compare(documents, base, head, now)
        finally:
            base.close()
            head.close()


def assess(base: str, paths: list[Path], corpus_dirs: list[Path], request_files: list[Path], audit_log: Path | None,
           audit_key: bytes | None, options, now: str, fail_on_flip: bool = False):
    """`gate policy impact`: every document of the corpus decided at ``base`` and on the working tree
    (``body``: base, decisions, flips, errors); exit 2 when something could not be decided, 1 on a flip
    when ``fail_on_flip``."""
    from ..verdict import Report

    documents, errors = build_corpus(paths, corpus_dirs, request_files, audit_log, audit_key, options)
    flips, failed = run(base, list(options.policy_dirs), options.builtin_policies, list(options.data_files),
                        options.engine, documents, now)
    errors = errors + failed
    return Report({"base": base, "decisions": len(documents), "flips": flips, "errors": errors},
                  errors=len(errors), found=len(flips) if fail_on_flip else 0)


def build_corpus(paths: list[Path], corpus_dirs: list[Path], request_files: list[Path], audit_log: Path | None,
                 audit_key: bytes | None, options) -> tuple[list[tuple[str, str, dict[str, Any]]], list[str]]:
    """The documents `gate policy impact` decides, and what could not be turned into one: recorded
    inputs, the datasets under ``paths`` (the repository's when nothing else is given; facts computed
    with the working tree's policy data), the requests of ``request_files`` and of the verified
    audit log."""
    from ..model.request import load_requests
    from ..run.access import access_input
    from ..run.check import dataset_documents
    from ..run.datasets import DatasetIndex
    from ..run.session import repo_for
    from ..verdict import GateFailure

    documents = load_corpus(list(corpus_dirs))
    requests = [(r, str(p)) for p in request_files for r in load_requests(p)]
    repo = repo_for(list(paths), options)
    if audit_log:
        requests += audit_requests(audit_log, audit_key)
    failures: list = []
    session = Session.open(options)
    try:
        if paths or not (documents or requests):
            documents += [("dataset", d.id, doc) for d, _, doc in dataset_documents(list(paths), options, session,
                                                                                   failures)]
        if requests:
            index, context = DatasetIndex.build(repo), session.context(repo)
            for request, origin in requests:
                label = f"{request.get('subject')} {request.get('action')} {request.get('dataset')} ({origin})"
                try:
                    documents.append(("access", label, access_input(request, index.find(str(request["dataset"])),
                                                                    context)))
                except GateError as exc:
                    failures.append(GateFailure(origin, str(exc)))
    finally:
        session.close()
    return documents, [f.message for f in failures]
