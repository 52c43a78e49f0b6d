"""Hook and CI costs on a large dataset repository, beside `python -c pass` and `git status` as floors.

Builds a git repository of >= 10,000 files and >= 2 GB in >= 50 datasets (locked, committed), then
prints: `gate --version`; the gate-check hook on a commit touching no dataset; the hook with one
changed 1 MB CSV, cold (no cache) and warm; a full `gate check --ci` (every digest recomputed; facts
from the cache by content digest), and the same cold; and hashing all bytes with hashlib alone.
Goals: <= 0.3 s for a no-dataset commit, <= 1 s for one changed file warm, the full --ci check
within 2x of hashing the bytes at hashlib's own speed.

    python benchmarks/hooks.py [--datasets 50] [--files 200] [--mb 2048] [--keep DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DESCRIPTOR = """gate: 1
id: {id}
owner: data@example.com
classification: internal
purposes: [model-training]
source: {{id: crm-export, trust: internal, collected: 2026-03-31, method: export, legal_basis: contract,
  data_subjects: customers, retention_days: 3650, contact: crm@example.com}}
files: [data/*.csv]
"""


def build(root: Path, datasets: int, files: int, megabytes: int) -> None:
    rng = random.Random(1)
    per_file = megabytes * 1024 * 1024 // (datasets * files)
    line = b"".join(b"%d,%d,%.4f,segment_%d,%d\n" % (i, rng.randint(18, 90), rng.random(), i % 7, i % 2)
                    for i in range(2000))
    header = b"id,age,score,segment,label\n"
    for d in range(datasets):
        directory = root / "datasets" / f"ds-{d:03d}"
        (directory / "data").mkdir(parents=True)
        (directory / "dataset.yaml").write_text(DESCRIPTOR.format(id=f"ds-{d:03d}"))
        for f in range(files):
            body = (line * (per_file // len(line) + 1))[: per_file - len(header)]
            body = body[: body.rfind(b"\n") + 1]
            (directory / "data" / f"part-{f:04d}.csv").write_bytes(header + body)
    (root / "README.md").write_text("datasets\n")
    (root / ".gitignore").write_text(".gate/cache/\n")


def run(command: list[str], cwd: Path, env: dict | None = None, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True)
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=50)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--mb", type=int, default=2048)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="gate-hooks-bench-"))
    gate = shutil.which("gate") or sys.exit("gate is not installed")
    env = {"CI": "", "GATE_CI": "", "NO_COLOR": "1"}
    git_env = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com", "GIT_COMMITTER_NAME": "b",
               "GIT_COMMITTER_EMAIL": "b@example.com"}
    if not (root / ".git").exists():
        root.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        build(root, args.datasets, args.files, args.mb)
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)
        subprocess.run([gate, "manifest", "update", "datasets"], cwd=root, check=True, capture_output=True)
        subprocess.run(["git", "add", "-A"], cwd=root, check=True)
        subprocess.run(["git", "commit", "-qm", "datasets"], cwd=root, check=True, env={**os.environ, **git_env})
        print(f"built {root} in {time.perf_counter() - start:.0f} s")
    data_files = sorted(root.glob("datasets/*/data/*.csv"))
    total = sum(p.stat().st_size for p in data_files)
    print(f"repository: {len(data_files)} data files, {total / 1e9:.2f} GB, "
          f"{len(list(root.glob('datasets/*/dataset.yaml')))} datasets")

    floor_python = run([sys.executable, "-c", "pass"], root)
    floor_git = run(["git", "status", "--porcelain"], root)
    print(f"floors: python -c pass {floor_python:.3f} s, git status {floor_git:.3f} s")
    print(f"gate --version                         {run([gate, '--version'], root, env):7.3f} s   (goal <= 0.3)")
    print(f"hook, commit touching no dataset       {run([gate, 'hook', 'check', 'README.md'], root, env):7.3f} s   "
          f"(goal <= 0.3)")

    changed = root / "datasets" / "ds-000" / "data" / "part-0000.csv"
    one_mb = (b"id,age,score,segment,label\n" + b"1,2,0.5,segment_1,0\n" * 60000)[: 1024 * 1024]
    changed.write_bytes(one_mb[: one_mb.rfind(b"\n") + 1])
    hook = [gate, "hook", "check", str(changed.relative_to(root))]
    shutil.rmtree(root / ".gate" / "cache", ignore_errors=True)
    cold = run(hook, root, env, repeat=1)
    warm = run(hook, root, env)
    print(f"hook, one changed 1 MB CSV: cold       {cold:7.3f} s")
    print(f"hook, one changed 1 MB CSV: warm       {warm:7.3f} s   (goal <= 1)")

    start = time.perf_counter()
    for path in data_files:
        with open(path, "rb") as handle:
            digest = hashlib.sha256()
            while chunk := handle.read(1024 * 1024):
                digest.update(chunk)
    hashing = time.perf_counter() - start
    full = [gate, "check", "--all", "--format", "json", "--output", os.devnull]
    shutil.rmtree(root / ".gate" / "cache", ignore_errors=True)
    full_cold_local = run(full, root, env, repeat=1)
    full_warm = run(full + ["--ci"], root, env, repeat=1)
    shutil.rmtree(root / ".gate" / "cache", ignore_errors=True)
    full_cold = run([gate, "check", "--all", "--ci", "--format", "json", "--output", os.devnull], root, env, repeat=1)
    print(f"hashlib sha256 of all bytes, 1 thread  {hashing:7.3f} s   ({total / 1e6 / hashing:.0f} MB/s)")
    print(f"gate check --all, first run (cold)     {full_cold_local:7.3f} s")
    print(f"gate check --all --ci, facts cached    {full_warm:7.3f} s   = {full_warm / hashing:.2f}x hashing (goal <= 2x)")
    print(f"gate check --all --ci, no cache        {full_cold:7.3f} s   = {full_cold / hashing:.2f}x hashing "
          f"(every file also scanned for PII)")


if __name__ == "__main__":
    main()
