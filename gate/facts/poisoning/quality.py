"""Data issues of the kinds cleanlab's Datalab reports, as facts: duplicates (exact and near, with
and without conflicting labels), class imbalance, non-iid ordering, constant, identifier and
null-heavy columns.

Facts only: each issue gives its counts and statistics; the policy (data_quality.rego, thresholds
in org.data_quality) decides what deserves a warning. Column names are shown, values never are.
"""

from __future__ import annotations

import numpy as np

from .features import Features

NON_IID_SAMPLE = 5_000     # rows whose neighbours are compared with their positions in the file
NON_IID_NEIGHBOURS = 10
NON_IID_PERMUTATIONS = 100
ORDER_BLOCKS = 20          # contiguous blocks of rows the label's distribution is compared across
NEAR_GRID = 0.02           # numeric features equal to 1/50 of their robust scale: near-identical
IDENTIFIER_MIN_ROWS = 50
NAMED_CLASS_ROWS = 5
IDENTIFIER_MAX_LENGTH = 64


def data_issues(frame, features: Features, duplicates: dict, label: str | None, text: str | None,
                seed: int = 0) -> dict:
    """Every issue over one table. ``duplicates`` is the detail of methods.duplicate_conflicts (its
    groups of identical and near-identical rows), so both count the same duplicates."""
    return {
        "duplicates": _duplicates(features, duplicates),
        "class_imbalance": _imbalance(features),
        "non_iid": _non_iid(features, seed),
        **_columns(frame, label, text),
    }


# ---------------------------------------------------------------- duplicates

def _duplicates(features: Features, detail: dict) -> dict:
    """Rows identical in every analysed feature (and the text), rows near-identical to another, and
    the groups among them whose labels differ. Counts are of removable rows: a group of g rows
    holds g - 1 copies; near rows are the copies beyond the exact ones."""
    exact = detail["exact"]
    exact_rows = sum(len(g) - 1 for g in exact)
    if features.text is not None:  # MinHash groups (methods.py) hold texts that differ a little
        near = detail["near"]
        # a MinHash group may hold a whole exact group beside its variants: its exact copies are counted
        group_of = _group_of(exact, features.n)
        near_rows = sum(len(g) - 1 - _exact_copies_in(g, group_of) for g in near)
        conflicting = [g for g, m in zip(exact + near, detail["mixed"]) if m]
        from .methods import MINHASH_CAP

        method = ("minhash (word 3-shingles, Jaccard >= 0.8)" if features.n <= MINHASH_CAP
                  else f"not looked for above {MINHASH_CAP} texts: exact copies only")
        chance = exact_chance = 0.0  # texts of 4+ words do not collide by chance
    else:  # every exact group lies inside one grid group: the grid groups are the whole picture
        cells, keys = _grid_groups(features)
        near = _beyond_exact(cells, exact, features.n)
        near_rows = max(0, sum(len(g) - 1 for g in cells) - exact_rows)
        conflicting = [g for g in cells if _mixed(features.labels, g)]
        method = f"numeric features equal to {NEAR_GRID} of their robust scale, categories exactly"
        chance = _chance_share([keys[c].to_numpy() for c in keys.columns] if keys is not None else [], features.n)
        exact_chance = min(1.0, (features.n - 1) / 2 * detail["agreement"])  # as _chance_share, computed once
    n = max(1, features.n)
    return {
        "exact_groups": len(exact), "exact_rows": exact_rows, "exact_share": round(exact_rows / n, 6),
        "near_groups": len(near), "near_rows": near_rows, "near_share": round(near_rows / n, 6),
        "near_method": method,
        "conflicting_groups": len(conflicting),
        "conflicting_rows": int(len(np.unique(np.concatenate(conflicting)))) if conflicting else 0,
        # copies expected by chance if the features were independent (coarse features: distinct
        # records agree on everything; the policy judges duplicates beyond that)
        "chance_exact_share": round(exact_chance, 6), "chance_near_share": round(chance, 6),
    }


def _mixed(labels, members) -> bool:
    if labels is None:
        return False
    given = labels[members]
    return len(np.unique(given[given >= 0])) >= 2


def _grid_groups(features: Features) -> tuple[list[np.ndarray], "object"]:
    """(groups, gridded features): rows equal once each numeric feature is rounded to a grid of
    NEAR_GRID robust SDs (categories and missing values exactly)."""
    import pandas as pd

    from .methods import _groups

    if not features.names:
        return [], None
    scaled = features.scaled
    parts = {}
    for index, (name, kind, raw) in enumerate(zip(features.names, features.kinds, features.raw)):
        if kind == "numeric":
            column = scaled[:, features.columns_of[index][0]]
            parts[name] = np.where(np.isnan(raw), np.nan, np.round(column / NEAR_GRID))
        else:
            parts[name] = raw
    frame = pd.DataFrame(parts)
    keys = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return _groups(keys), frame


def _chance_share(columns, n: int) -> float:
    """Share of rows expected to be removable copies by chance if the columns were independent: about
    one per pair of rows that agree on every column, (n - 1) / 2 times the agreement (methods.agreement)."""
    from .methods import agreement

    if not columns or n < 2:
        return 0.0
    return min(1.0, (n - 1) / 2 * agreement(columns))


def _exact_copies_in(members: np.ndarray, group_of: np.ndarray) -> int:
    """How many rows of a group are exact copies of another of its rows (``group_of``: each row's
    exact group, -1 for none)."""
    ids = group_of[members]
    _, counts = np.unique(ids[ids >= 0], return_counts=True)
    return int(np.sum(counts - 1))


def _group_of(exact: list[np.ndarray], n: int) -> np.ndarray:
    group_of = np.full(n, -1)
    for number, members in enumerate(exact):
        group_of[members] = number
    return group_of


def _beyond_exact(cells: list[np.ndarray], exact: list[np.ndarray], n: int) -> list[np.ndarray]:
    """The grid groups that are more than one group of exact copies."""
    group_of = _group_of(exact, n)
    sizes = np.array([len(g) for g in exact] + [0])
    out = []
    for members in cells:
        ids = group_of[members]
        if ids[0] >= 0 and np.all(ids == ids[0]) and sizes[ids[0]] == len(members):
            continue
        out.append(members)
    return out


# ---------------------------------------------------------------- class imbalance

def _imbalance(features: Features) -> dict:
    """The rarest class's share beside 1/K (Datalab flags a class below 0.1 of its fair share)."""
    from .labels import continuous_label

    labels = features.labels
    if labels is None or not len(features.classes):
        return {"ran": False, "reason": "no label"}
    if continuous_label(features):
        return {"ran": False, "reason": "a continuous label has no classes"}
    counts = np.bincount(labels[labels >= 0], minlength=len(features.classes))
    total = int(counts.sum())
    if total == 0:
        return {"ran": False, "reason": "no labelled rows"}
    k = len(counts)
    rarest = int(np.argmin(counts))
    share = counts[rarest] / total
    # a class of a few rows is named only by its size: its name could be what identifies them
    shown = features.classes[rarest] if counts[rarest] >= NAMED_CLASS_ROWS else None
    return {"ran": True, "classes": k, "rarest": shown, "rarest_rows": int(counts[rarest]),
            "rarest_share": round(float(share), 6), "largest_share": round(float(counts.max() / total), 6),
            "fair_share": round(1.0 / k, 6), "ratio_to_fair": round(float(share * k), 6)}


# ---------------------------------------------------------------- non-iid ordering

def _non_iid(features: Features, seed: int) -> dict:
    """Whether the file's row order carries information: are rows' nearest neighbours (in the
    analysis representation) nearer to them in the file than random rows are (Datalab's non-iid
    check; permutation null), and does the label's distribution change along the file?"""
    n = features.n
    out: dict = {"ran": n >= 100}
    if n < 100:
        out["reason"] = "fewer than 100 rows"
        return out
    out["neighbours"] = _neighbour_order(features, seed)
    out["label_order"] = _label_order(features)
    return out


def _neighbour_order(features: Features, seed: int) -> dict:
    from scipy.stats import norm
    from sklearn.neighbors import NearestNeighbors

    x = features.embedding
    n = features.n
    if x.shape[1] == 0:
        return {"ran": False, "reason": "no features"}
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n, NON_IID_SAMPLE, replace=False)) if n > NON_IID_SAMPLE else np.arange(n)
    # in random order: the search breaks ties between equally near rows by index, which in file order
    # would make tied rows (coarse or copied data) look ordered or not by construction
    sample = rng.permutation(sample)
    points = np.asarray(x[sample], dtype=np.float64)
    k = min(NON_IID_NEIGHBOURS, len(sample) - 1)
    # one more neighbour than wanted: a row is its own nearest; exact copies are neighbours like any other
    _, index = NearestNeighbors(n_neighbors=k + 1).fit(points).kneighbors(points)
    pairs = index[:, 1:]
    own = np.repeat(np.arange(len(sample)), k)
    other = pairs.ravel()
    keep = own != other
    own, other = own[keep], other[keep]
    positions = sample.astype(np.float64) / n

    def spread(where):
        return float(np.mean(np.abs(where[own] - where[other])))

    observed = spread(positions)
    null = np.array([spread(rng.permutation(positions)) for _ in range(NON_IID_PERMUTATIONS)])
    centre, scale = float(null.mean()), float(null.std(ddof=1)) or 1e-12
    z = (observed - centre) / scale
    return {"ran": True, "sample": int(len(sample)), "neighbours": int(k),
            "closeness": round(max(0.0, 1.0 - observed / centre) if centre > 0 else 0.0, 6),
            "z": round(float(z), 3), "p_value": float(norm.sf(-z))}


def _label_order(features: Features) -> dict:
    """Chi-square of label by contiguous block of rows, with Cramér's V (the effect at any N)."""
    from scipy.stats import chi2_contingency

    from .labels import continuous_label

    labels = features.labels
    if labels is None or len(features.classes) < 2:
        return {"ran": False, "reason": "fewer than two classes"}
    if continuous_label(features):
        return {"ran": False, "reason": "a continuous label has no classes"}
    judged = np.flatnonzero(labels >= 0)
    blocks = min(ORDER_BLOCKS, max(2, len(judged) // 50))
    which = np.minimum((np.arange(len(judged)) * blocks) // max(1, len(judged)), blocks - 1)
    table = np.zeros((blocks, len(features.classes)))
    np.add.at(table, (which, labels[judged]), 1)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return {"ran": False, "reason": "fewer than two classes"}
    statistic, p, _, _ = chi2_contingency(table)
    v = np.sqrt(statistic / (table.sum() * (min(table.shape) - 1)))
    return {"ran": True, "blocks": int(blocks), "cramers_v": round(float(v), 6), "p_value": float(p)}


# ---------------------------------------------------------------- columns

def _columns(frame, label: str | None, text: str | None) -> dict:
    """Constant (one value on every row), identifier (a distinct value on nearly every row) and null
    columns of the whole table, not just the analysed features; rows empty but for the label."""
    n = len(frame)
    constant, identifiers, nulls = [], [], []
    empty_rows = 0
    if n:
        others = [c for c in frame.columns if str(c) != label]
        if others:
            empty_rows = int(frame[others].isna().all(axis=1).sum())
    for name in frame.columns:
        series = frame[name]
        missing = int(series.isna().sum())
        nulls.append({"column": str(name), "null_share": round(missing / n, 6) if n else 0.0})
        present = series.dropna()
        if n >= 2 and missing == 0 and _constant(present):
            constant.append(str(name))
        elif str(name) not in (label, text) and _identifier(present, n):
            identifiers.append(str(name))
    nulls = [entry for entry in nulls if entry["null_share"] > 0]
    nulls.sort(key=lambda e: -e["null_share"])
    return {"constant_columns": constant, "identifier_columns": identifiers, "null_columns": nulls,
            "empty_rows": empty_rows}


def _constant(present) -> bool:
    if present.dtype == object:  # strings, or mixed and nested values (JSON lines): compared as text
        present = present.astype(str)
    return bool((present == present.iloc[0]).all())


def _identifier(present, n: int) -> bool:
    """A distinct value on (nearly) every row: integers, or short strings without spaces."""
    import pandas as pd

    if n < IDENTIFIER_MIN_ROWS or len(present) < 0.99 * n:
        return False
    if pd.api.types.is_bool_dtype(present):
        return False
    if pd.api.types.is_numeric_dtype(present):
        values = present.to_numpy(dtype=np.float64, na_value=np.nan)
        if not np.all(np.isfinite(values)) or not np.all(np.floor(values) == values):
            return False
    else:  # strings, or mixed and nested values (JSON lines): compared as text
        strings = present.astype(str)
        sample = strings.head(10_000)
        if sample.str.len().max() > IDENTIFIER_MAX_LENGTH or sample.str.contains(r"\s", regex=True).mean() > 0.05:
            return False
        present = strings
    return bool(present.is_unique)
