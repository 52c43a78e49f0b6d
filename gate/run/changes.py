"""`gate check --changed-since REF`: the datasets a pull request touches, and the versions their locks
were signed at in the merge base (a signature rolled back below it is denied)."""

from __future__ import annotations

from pathlib import Path

from ..errors import GateError


def changed_datasets(root: Path, ref: str) -> tuple[list[Path], dict[str, int], str]:
    """Datasets owning a file changed between the merge base with ``ref`` and the working tree, for
    each the highest version its lock was signed at in the merge base, and the merge base."""
    from ..custody.signing import signed_versions
    from ..model.descriptor import MANIFEST_NAME, load_manifest
    from ..repo import GitError, Repo, git, safe_ref

    repo = Repo.at(root)
    try:
        ref = safe_ref(ref, "--changed-since")
        changed = git(root, "diff", "--name-only", "-z", "--merge-base", ref, "--")
        top = Path(git(root, "rev-parse", "--show-toplevel").strip() or root)
        base = git(root, "merge-base", ref, "HEAD").strip()
    except GitError as exc:
        raise GateError(f"--changed-since {ref[:80]}: {exc.message}") from None
    owners = sorted({o for o in (repo.owning_dataset(top / name) for name in changed.split("\0") if name) if o})
    versions: dict[str, int] = {}
    for owner in owners:
        lock_rel = repo.rel(owner / MANIFEST_NAME)
        text = git(root, "show", f"{base}:./{lock_rel}", check=False)
        if not text:
            continue
        try:
            signed = signed_versions(load_manifest(owner / MANIFEST_NAME, repo, text=text))
        except GateError:
            continue
        if signed:
            versions[lock_rel] = max(signed)
    return owners, versions, base
