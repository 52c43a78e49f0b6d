"""Duplicate conflicts, outliers (robust z-scores, IsolationForest globally and per class) and
spectral signatures per class. Each returns per-row suspicion in [0, 1] plus a summary."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .features import Features

IF_FIT_CAP = 100_000
SPECTRAL_CAP = 50_000
MINHASH_CAP = 300_000
MIN_CLASS_ROWS = 50


@dataclass
class MethodResult:
    score: np.ndarray            # per row, in [0, 1]
    flagged: np.ndarray          # per row
    summary: dict
    detail: dict | None = None   # what is behind the score (outliers: per-row z and isolation scores;
                                 # duplicates: the groups of identical and of near-identical rows)


# ---------------------------------------------------------------- duplicate conflicts

_WORDS = re.compile(r"\w+")


def duplicate_conflicts(features: Features) -> MethodResult:
    """Rows identical after normalization (text: near-identical by MinHash) whose labels differ.

    Within a group the rows carrying a minority label get 0.9; with no majority every row gets 0.6."""
    n = features.n
    score = np.zeros(n)
    labels = features.labels
    keys = _row_keys(features)
    groups = _groups(keys)
    near = 0
    if features.text is not None and n <= MINHASH_CAP:
        extra = _near_duplicate_groups(features.text)
        near = len(extra)
        groups.extend(extra)
    conflicts = 0
    rows_in = 0
    agree = _agreement_of(features)
    expected = _expected_collisions(features.n, agree)
    mixed = [len(np.unique(labels[m][labels[m] >= 0])) >= 2 for m in groups]
    agreeing = sum(len(m) for m, conflict in zip(groups, mixed) if not conflict) / max(1, n)
    # where distinct records share every feature value (few values per feature, or the same place and
    # circumstances recorded again and again), a group of identical rows is a cell of people, not
    # copies of one: its mixed labels are the cell's own mix, judged by the label models. Such data
    # shows it by many identical rows that agree, or by features coarse enough that rows must collide.
    # Only where identical rows are otherwise rare are they copies, and a relabelled copy suspect.
    natural = expected >= NATURAL_COLLISIONS or agreeing >= NATURAL_AGREEING
    minority, tie = (0.2, 0.1) if natural else (0.9, 0.6)
    for members, conflict in zip(groups, mixed):
        if not conflict:
            continue
        given = labels[members]
        given = given[given >= 0]
        conflicts += 1
        rows_in += len(members)
        counts = np.bincount(given)
        top = counts.max()
        majority = np.flatnonzero(counts == top)
        for row in members:
            if labels[row] < 0:
                continue
            if len(majority) == 1 and labels[row] != majority[0]:
                score[row] = max(score[row], minority)
            elif len(majority) > 1:
                score[row] = max(score[row], tie)
    summary = {"groups_with_conflicts": conflicts, "rows_in_conflicts": rows_in,
               "expected_collision_share": round(expected, 4), "agreeing_duplicate_share": round(agreeing, 4),
               "natural_collisions": bool(natural),
               "near_duplicate_groups": near,
               "near_duplicates": "minhash" if features.text is not None and n <= MINHASH_CAP else
               ("skipped above %d rows: exact duplicates only" % MINHASH_CAP if features.text is not None else "n/a")}
    return MethodResult(score, score >= 0.9, summary,
                        {"exact": groups[:len(groups) - near], "near": groups[len(groups) - near:], "mixed": mixed,
                         "agreement": agree})


NATURAL_COLLISIONS = 0.05  # rows expected to collide if features were independent
NATURAL_AGREEING = 0.01    # rows in groups of identical rows that all carry one label


def _agreement_of(features: Features) -> float:
    """The chance that two rows agree on every feature if the features were independent (agreement);
    0 for text, whose rows never collide by chance."""
    if features.text is not None or features.n < 2 or not features.names:
        return 0.0
    return agreement([raw if kind != "numeric" else np.round(raw, 6) for kind, raw in zip(features.kinds, features.raw)])


def _expected_collisions(n: int, agree: float) -> float:
    """Share of rows expected to share every feature value with another row if the features were
    independent, from the agreement of two rows (sum of squared value shares per feature). Near 0
    for continuous features; most rows for a few coarse categories."""
    if n < 2 or agree <= 0:
        return 0.0
    return float(-np.expm1((n - 1) * np.log1p(-min(agree, 1 - 1e-12))))


def agreement(columns) -> float:
    """The chance that two random rows agree on every column if the columns were independent (the
    product of each column's sum of squared value shares; a missing value is a value)."""
    agree = 1.0
    for values in columns:
        values = np.asarray(values)
        if values.dtype.kind == "f":
            values = np.where(np.isnan(values), np.inf, values)
        _, counts = np.unique(values, return_counts=True)
        share = counts / max(1, len(values))
        agree *= float(np.sum(share * share))
    return agree


def _row_keys(features: Features) -> np.ndarray:
    """A 64-bit hash per row of its normalized features (and normalized text)."""
    import pandas as pd

    parts = {}
    for name, kind, raw in zip(features.names, features.kinds, features.raw):
        if kind == "numeric":
            parts[name] = np.where(np.isnan(raw), np.nan, np.round(raw, 6))
        else:
            parts[name] = raw
    if features.text is not None:
        parts["__text__"] = [" ".join(_WORDS.findall(t.lower())) for t in features.text]
    if not parts:
        return np.arange(features.n, dtype=np.uint64)
    frame = pd.DataFrame(parts)
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _groups(keys: np.ndarray) -> list[np.ndarray]:
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    edges = np.flatnonzero(np.diff(ordered)) + 1
    starts = np.concatenate([[0], edges])
    ends = np.concatenate([edges, [len(keys)]])
    return [order[s:e] for s, e in zip(starts, ends) if e - s > 1]


def _near_duplicate_groups(texts: list[str], perms: int = 64, bands: int = 16, threshold: float = 0.8):
    """Groups of texts whose word 3-shingle sets have estimated Jaccard >= threshold (MinHash + LSH)."""
    import pandas as pd

    rows = perms // bands
    rng = np.random.default_rng(12345)
    prime = np.uint64((1 << 61) - 1)
    a = rng.integers(1, 1 << 61, perms, dtype=np.uint64)
    b = rng.integers(0, 1 << 61, perms, dtype=np.uint64)
    signatures = np.full((len(texts), perms), np.iinfo(np.uint64).max, dtype=np.uint64)
    for i, text in enumerate(texts):
        words = _WORDS.findall(text.lower())
        if len(words) < 4:
            continue  # short texts: exact duplicates cover them
        # pandas's hash_array is keyed with a fixed key: the same shingles hash alike in every process
        # (Python's hash() of a str is salted per process, which made the groups differ run to run)
        shingles = pd.util.hash_array(np.array([" ".join(words[j:j + 3]) for j in range(len(words) - 2)],
                                               dtype=object)) & np.uint64(0x1FFFFFFFFFFFFFFF)
        with np.errstate(over="ignore"):
            hashed = (shingles[:, None] * a[None, :] + b[None, :]) % prime
        signatures[i] = hashed.min(axis=0)
    buckets: dict = {}
    valid = np.flatnonzero(signatures[:, 0] != np.iinfo(np.uint64).max)
    for band in range(bands):
        block = signatures[valid, band * rows:(band + 1) * rows]
        keys = [hash(row.tobytes()) for row in block]
        for index, key in zip(valid, keys):
            buckets.setdefault((band, key), []).append(index)
    parent = np.arange(len(texts))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for members in buckets.values():
        if len(members) < 2 or len(members) > 1000:
            continue
        head = members[0]
        for other in members[1:]:
            if np.mean(signatures[head] == signatures[other]) >= threshold:
                parent[find(other)] = find(head)
    roots = np.array([find(i) for i in range(len(texts))])
    groups = _groups(roots.astype(np.uint64))
    # exact duplicates were grouped already; keep groups that are not all one normalized text
    return [g for g in groups if len({" ".join(_WORDS.findall(texts[i].lower())) for i in g}) > 1]


# ---------------------------------------------------------------- outliers

def outliers(features: Features) -> MethodResult:
    """Robust z-scores (median / MAD) per numeric feature and IsolationForest on the representation,
    over all rows and within each class. Suspicion grows only for extreme rows: natural data has tails."""
    from sklearn.ensemble import IsolationForest

    n = features.n
    rng = np.random.default_rng(0)
    z_max = np.zeros(n)
    z_feature = np.full(n, -1)
    for index, (kind, raw) in enumerate(zip(features.kinds, features.raw)):
        if kind != "numeric":
            continue
        finite = ~np.isnan(raw)
        if finite.sum() < 10:
            continue
        median = np.median(raw[finite])
        deviation = np.abs(raw - median)
        mad = np.median(deviation[finite]) * 1.4826
        if mad == 0:  # mostly one value (sparse pixels, flags): a z-score says nothing there
            continue
        z = np.where(finite, deviation / mad, 0.0)
        better = z > z_max
        z_max[better] = z[better]
        z_feature[better] = index
    x = features.embedding
    global_anomaly = np.zeros(n)
    class_anomaly = np.zeros(n)
    sampled = None
    if x.shape[1] and n >= 20:
        fit_rows = np.arange(n)
        if n > IF_FIT_CAP:
            fit_rows = np.sort(rng.choice(n, IF_FIT_CAP, replace=False))
            sampled = IF_FIT_CAP
        forest = IsolationForest(n_estimators=100, random_state=0, n_jobs=1).fit(x[fit_rows])
        global_anomaly = -forest.score_samples(x)
        labels = features.labels
        if labels is not None:
            for code in np.unique(labels[labels >= 0]):
                members = np.flatnonzero(labels == code)
                if len(members) < MIN_CLASS_ROWS:
                    continue
                fit = members if len(members) <= IF_FIT_CAP else np.sort(rng.choice(members, IF_FIT_CAP, replace=False))
                forest = IsolationForest(n_estimators=100, random_state=0, n_jobs=1).fit(x[fit])
                class_anomaly[members] = -forest.score_samples(x[members])
    # IsolationForest's anomaly score is ~0.5 for ordinary rows and approaches 1 for isolated ones; how
    # high "ordinary" runs depends on the dimension, so it is judged against its own spread (robust z)
    anomaly = np.maximum(global_anomaly, class_anomaly)
    if_z = _robust_z(anomaly) if x.shape[1] and n >= 20 else np.zeros(n)
    if_score = np.clip((if_z - 5.0) / 5.0, 0.0, 1.0) * (anomaly > 0.6)
    z_score = np.clip((z_max - 10.0) / 20.0, 0.0, 1.0)
    score = 0.35 * np.maximum(if_score, 0.6 * z_score)
    flagged = (if_score >= 0.6) & (z_score > 0)
    summary = {
        "rows_beyond_robust_z_6": int((z_max > 6).sum()),
        "isolation_forest": {"fit_rows": sampled or n, "sampled": sampled is not None,
                             "rows_above_0_7": int((np.maximum(global_anomaly, class_anomaly) > 0.7).sum())},
    }
    detail = {"z_max": z_max, "z_feature": z_feature, "global": global_anomaly, "class": class_anomaly}
    return MethodResult(score, flagged, summary, detail)


def _robust_z(values: np.ndarray) -> np.ndarray:
    median = np.median(values)
    mad = np.median(np.abs(values - median)) * 1.4826
    if mad == 0:
        mad = np.mean(np.abs(values - median)) * 1.2533 or 1.0
    return (values - median) / mad


# ---------------------------------------------------------------- spectral signatures

def spectral_signatures(features: Features) -> MethodResult:
    """Per class: rows' squared projection on the top singular vector of the centred representation
    (Tran et al., 2018). A poisoned sub-population shifts the class mean along one direction; its rows
    stand out in a separate mode. Suspicion only where the class splits into a small, distant mode."""
    n = features.n
    score = np.zeros(n)
    labels = features.labels
    x = features.embedding
    classes_split = []
    sampled = False
    if labels is None or x.shape[1] == 0:
        return MethodResult(score, score > 1, {"classes_examined": 0, "classes_with_separate_mode": []})
    rng = np.random.default_rng(0)
    examined = 0
    for code in np.unique(labels[labels >= 0]):
        members = np.flatnonzero(labels == code)
        if len(members) < MIN_CLASS_ROWS:
            continue
        examined += 1
        fit = members
        if len(members) > SPECTRAL_CAP:
            fit = np.sort(rng.choice(members, SPECTRAL_CAP, replace=False))
            sampled = True
        block = x[fit]
        center = np.median(block, axis=0)
        _, _, vt = np.linalg.svd(block - center, full_matrices=False)
        projection = (x[members] - center) @ vt[0]
        mode = _separate_mode(projection)
        if mode is None:
            continue
        side, gap = mode
        share = float(side.mean())
        classes_split.append({"label": features.classes[code], "rows": int(side.sum()), "share": round(share, 4),
                              "separation": round(float(gap), 2)})
        score[members[side]] = float(np.clip((gap - 3.0) / 6.0, 0.0, 1.0)) * 0.3
    return MethodResult(score, score > 1, {"classes_examined": examined, "sampled": sampled,
                                           "classes_with_separate_mode": classes_split})


def _separate_mode(projection: np.ndarray):
    """(mask of the smaller mode, separation in pooled SDs) if the 1-D projection splits into a small
    (0.5-25 %) group far from the rest, else None."""
    order = np.sort(projection)
    n = len(order)
    best = None
    for tail in ("low", "high"):
        values = order if tail == "low" else order[::-1]
        for share in (0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.18, 0.25):
            k = max(5, int(share * n))
            if k >= n - 3:
                break
            small, large = values[:k], values[k:]
            spread = np.sqrt((small.var() * len(small) + large.var() * len(large)) / n) + 1e-12
            gap = abs(small.mean() - large.mean()) / spread
            edge = abs(values[k] - values[k - 1]) / (np.std(large) + 1e-12)
            if edge > 1.0 and (best is None or gap > best[2]):
                best = (tail, k, gap)
    if best is None or best[2] < 4.0:
        return None
    tail, k, gap = best
    threshold = order[k - 1] if tail == "low" else order[::-1][k - 1]
    mask = projection <= threshold if tail == "low" else projection >= threshold
    return mask, gap
