"""Drift of a dataset against a reference version: per-feature two-sample tests, the label
distribution and one multivariate test, with p-values, effect sizes and a multiple-testing
correction (Holm, over every test at once, so the chance of any false alarm stays at alpha).

- numeric feature: Kolmogorov-Smirnov; effect sizes KS D and the mean shift in reference SDs
- categorical feature: chi-square on the contingency table; effect size Cramér's V
- label: chi-square; effect size total variation distance
- multivariate: MMD with an RBF kernel (median heuristic) and a permutation p-value, on samples
  of at most MMD_SAMPLE rows per side (quadratic), said in the output
"""

from __future__ import annotations

import warnings

import numpy as np

ALPHA = 0.05
MMD_SAMPLE = 1000
PERMUTATIONS = 200
MAX_CATEGORIES = 50


def drift(current, reference, label: str | None = None, text: str | None = None,
          features: tuple[str, ...] | list[str] = (), alpha: float = ALPHA, seed: int = 0) -> dict:
    """Compare two DataFrames. Returns plain data (facts). Native thread pools stay within the cores
    gate is given (gate._threads)."""
    from .._threads import native_threads

    with native_threads():
        return _drift(current, reference, label, text, features, alpha, seed)


def _drift(current, reference, label: str | None, text: str | None, features, alpha: float, seed: int) -> dict:
    import pandas as pd
    from scipy import stats

    from .poisoning.features import _kind

    current = current.set_axis([str(c) for c in current.columns], axis=1)
    reference = reference.set_axis([str(c) for c in reference.columns], axis=1)
    skip = {label, text}
    wanted = list(features) if features else [c for c in current.columns if c not in skip]
    common = [c for c in wanted if c in reference.columns]
    tests: list[dict] = []
    numeric_cols, categorical_cols = [], []
    for name in common:
        a, b = current[name], reference[name]
        kind = _kind(pd.concat([a, b], ignore_index=True), len(a) + len(b))
        if kind == "numeric":
            x = pd.to_numeric(a, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            y = pd.to_numeric(b, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            x, y = x[np.isfinite(x)], y[np.isfinite(y)]
            if len(x) < 2 or len(y) < 2:
                continue
            result = stats.ks_2samp(x, y)
            sd = float(np.std(y)) or 1.0
            tests.append({"feature": name, "test": "ks", "statistic": float(result.statistic),
                          "p_value": float(result.pvalue),
                          "effect_size": {"ks_d": round(float(result.statistic), 6),
                                          "mean_shift_sd": round(float((np.mean(x) - np.mean(y)) / sd), 6)}})
            numeric_cols.append(name)
        elif kind == "categorical":
            row = _chi_square(a.astype(str).where(a.notna(), "<missing>"), b.astype(str).where(b.notna(), "<missing>"))
            if row is None:
                continue
            tests.append({"feature": name, "test": "chi2", **row})
            categorical_cols.append(name)
    label_shift = None
    if label and label in current.columns and label in reference.columns:
        row = _chi_square(current[label].astype(str), reference[label].astype(str), effect="tvd")
        if row is not None:
            label_shift = {"test": "chi2", **row}
    multivariate = _mmd(current, reference, numeric_cols, categorical_cols, text, seed)
    family = tests + ([label_shift] if label_shift else []) + ([multivariate] if multivariate and "p_value" in multivariate else [])
    _holm(family, alpha)
    significant = [t["feature"] for t in tests if t["significant"]]
    return {
        "status": "ok",
        "rows": {"current": int(len(current)), "reference": int(len(reference))},
        "alpha": alpha,
        "correction": "holm",
        "features": sorted(tests, key=lambda t: t["p_adjusted"]),
        "label": label_shift,
        "multivariate": multivariate,
        "added_columns": [c for c in current.columns if c not in reference.columns and c not in skip],
        "removed_columns": [c for c in reference.columns if c not in current.columns and c not in skip],
        "drifted_features": significant,
        "significant": bool(significant or (label_shift or {}).get("significant")
                            or (multivariate or {}).get("significant")),
    }


def _chi_square(a, b, effect: str = "cramers_v") -> dict | None:
    import pandas as pd
    from scipy import stats

    counts = pd.concat([a.value_counts().rename("current"), b.value_counts().rename("reference")], axis=1).fillna(0)
    if len(counts) < 2:
        return None
    if len(counts) > MAX_CATEGORIES:  # rare categories pooled, the test stays valid
        order = counts.sum(axis=1).sort_values(ascending=False).index
        head = counts.loc[order[:MAX_CATEGORIES - 1]]
        rest = counts.loc[order[MAX_CATEGORIES - 1:]].sum().to_frame("<other>").T
        counts = pd.concat([head, rest])
    table = counts.to_numpy().T
    table = table[:, table.sum(axis=0) > 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chi2, p_value, _, _ = stats.chi2_contingency(table)
    total = table.sum()
    if effect == "tvd":
        p = table / table.sum(axis=1, keepdims=True)
        size = {"total_variation": round(float(0.5 * np.abs(p[0] - p[1]).sum()), 6)}
    else:
        size = {"cramers_v": round(float(np.sqrt(chi2 / (total * max(1, min(table.shape) - 1)))), 6)}
    return {"statistic": float(chi2), "p_value": float(p_value), "effect_size": size}


def _mmd(current, reference, numeric_cols, categorical_cols, text, seed) -> dict | None:
    """RBF-kernel MMD² with a permutation p-value on standardized features (and text SVD)."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    n_a, n_b = len(current), len(reference)
    take_a = np.sort(rng.choice(n_a, min(n_a, MMD_SAMPLE), replace=False))
    take_b = np.sort(rng.choice(n_b, min(n_b, MMD_SAMPLE), replace=False))
    blocks = []
    if numeric_cols:
        both = pd.concat([current[numeric_cols].iloc[take_a], reference[numeric_cols].iloc[take_b]], ignore_index=True)
        values = both.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        ref = values[len(take_a):]
        center = np.nanmedian(ref, axis=0)
        scale = np.nanstd(ref, axis=0)
        scale[~np.isfinite(scale) | (scale == 0)] = 1.0
        values = (values - center) / scale
        blocks.append(np.nan_to_num(np.clip(values, -20, 20)))
    for name in categorical_cols:
        both = pd.concat([current[name].iloc[take_a], reference[name].iloc[take_b]], ignore_index=True).astype(str)
        top = both.value_counts().index[:20]
        blocks.append(np.stack([(both == level).to_numpy(dtype=float) for level in top], axis=1) / np.sqrt(2))
    if text and text in current.columns and text in reference.columns:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        docs = pd.concat([current[text].iloc[take_a], reference[text].iloc[take_b]], ignore_index=True).fillna("").astype(str)
        try:
            tfidf = TfidfVectorizer(sublinear_tf=True, min_df=2).fit_transform(docs)
            k = min(32, tfidf.shape[1] - 1)
            if k >= 2:
                dense = TruncatedSVD(k, random_state=0).fit_transform(tfidf)
                blocks.append(dense / (np.std(dense) + 1e-12))
        except ValueError:
            pass
    if not blocks:
        return None
    x = np.hstack(blocks)
    m = len(take_a)
    squared = np.sum(x * x, axis=1)
    distances = np.maximum(squared[:, None] + squared[None, :] - 2 * x @ x.T, 0)
    upper = distances[np.triu_indices(len(x), 1)]
    bandwidth = float(np.median(upper[upper > 0])) if np.any(upper > 0) else 1.0
    kernel = np.exp(-distances / bandwidth)

    # biased MMD² = wᵀKw with w = 1/m on current rows and -1/n on reference rows; all permutations at once
    total = len(x)
    signs = np.empty((total, PERMUTATIONS + 1))
    base = np.where(np.arange(total) < m, 1.0 / m, -1.0 / (total - m))
    signs[:, 0] = base
    for column in range(1, PERMUTATIONS + 1):
        signs[:, column] = rng.permutation(base)
    values = np.einsum("ij,ij->j", signs, kernel @ signs)
    observed = float(values[0])
    exceed = int(np.sum(values[1:] >= observed))
    return {"test": "mmd", "statistic": float(observed), "p_value": (exceed + 1) / (PERMUTATIONS + 1),
            "permutations": PERMUTATIONS, "sample_rows": {"current": int(m), "reference": int(len(take_b))},
            "sampled": bool(n_a > MMD_SAMPLE or n_b > MMD_SAMPLE), "effect_size": {"mmd2": round(float(observed), 6)}}


def _holm(tests: list[dict], alpha: float) -> None:
    """Holm-Bonferroni adjusted p-values over the whole family; sets p_adjusted and significant."""
    order = sorted(range(len(tests)), key=lambda i: tests[i]["p_value"])
    m = len(tests)
    running = 0.0
    for rank, index in enumerate(order):
        adjusted = min(1.0, (m - rank) * tests[index]["p_value"])
        running = max(running, adjusted)
        tests[index]["p_adjusted"] = float(running)
        tests[index]["significant"] = running < alpha
