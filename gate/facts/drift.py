"""Drift of a dataset against a reference version: per-feature two-sample tests, the label
distribution and one multivariate test, with p-values, effect sizes and a multiple-testing
correction (Holm, over every test at once, so the chance of any false alarm stays at alpha).

- numeric feature: Kolmogorov-Smirnov; effect sizes KS D and the mean shift in reference SDs
- categorical feature: chi-square on the contingency table; effect size Cramér's V
- label: chi-square; effect size total variation distance
- multivariate: a classifier two-sample test (gradient boosting, out-of-fold AUC, analytic
  p-value) on at most CLASSIFIER_SAMPLE rows per side, said in the output

A test counts as drift when it is significant after the correction *and* its effect reaches
MIN_EFFECT (so that at large N a trivial shift does not alarm); one that is only significant says
``trivial``.
"""

from __future__ import annotations

import warnings

import numpy as np

ALPHA = 0.05
CLASSIFIER_SAMPLE = 20_000   # rows per side for the multivariate test
FOLDS = 5
MAX_CATEGORIES = 50
# Smallest effects that count as drift: at a million rows a shift nobody would act on is
# "significant" (a KS D of 0.005); a test drifts when it is both significant and at least this large
MIN_EFFECT = {"ks_d": 0.05, "cramers_v": 0.05, "total_variation": 0.03, "auc": 0.55}


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
    multivariate = _classifier_test(current, reference, numeric_cols, categorical_cols, text, seed)
    family = tests + ([label_shift] if label_shift else []) + ([multivariate] if multivariate and "p_value" in multivariate else [])
    _holm(family, alpha)
    for test in family:  # significant and large enough to matter
        size = test["effect_size"]
        test["trivial"] = bool(test["significant"] and not any(size.get(k, 0) >= v for k, v in MIN_EFFECT.items()))
        test["significant"] = test["significant"] and not test["trivial"]
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


def _classifier_test(current, reference, numeric_cols, categorical_cols, text, seed) -> dict | None:
    """A classifier two-sample test: gradient boosting told to tell current rows from reference rows,
    out of fold; its AUC is the effect size and the Mann-Whitney normal approximation its p-value.

    Unlike a permutation test its p-value is not floored at 1/(permutations + 1), so it survives the
    multiple-testing correction on wide tables, and trees see joint-only shifts (a correlation that
    flips while every marginal stays) that per-feature tests cannot."""
    import pandas as pd
    from scipy.stats import norm
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold

    rng = np.random.default_rng(seed)
    n_a, n_b = len(current), len(reference)
    take_a = np.sort(rng.choice(n_a, min(n_a, CLASSIFIER_SAMPLE), replace=False))
    take_b = np.sort(rng.choice(n_b, min(n_b, CLASSIFIER_SAMPLE), replace=False))
    blocks, categorical = [], []
    if numeric_cols:
        both = pd.concat([current[numeric_cols].iloc[take_a], reference[numeric_cols].iloc[take_b]], ignore_index=True)
        blocks.append(both.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float, na_value=np.nan))
        categorical += [False] * len(numeric_cols)
    for name in categorical_cols:
        both = pd.concat([current[name].iloc[take_a], reference[name].iloc[take_b]], ignore_index=True)
        both = both.astype(str).where(both.notna(), "<missing>")
        top = list(both.value_counts().index[:MAX_CATEGORIES - 1])
        codes = np.where(both.isin(top), both.map({level: i for i, level in enumerate(top)}), len(top))
        blocks.append(codes.astype(float)[:, None])
        categorical.append(True)
    if text and text in current.columns and text in reference.columns:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        docs = pd.concat([current[text].iloc[take_a], reference[text].iloc[take_b]], ignore_index=True).fillna("").astype(str)
        try:
            tfidf = TfidfVectorizer(sublinear_tf=True, min_df=2).fit_transform(docs)
            k = min(32, tfidf.shape[1] - 1)
            if k >= 2:
                blocks.append(TruncatedSVD(k, random_state=0).fit_transform(tfidf))
                categorical += [False] * k
        except ValueError:
            pass
    m, r = len(take_a), len(take_b)
    if not blocks or m < 2 * FOLDS or r < 2 * FOLDS:
        return None
    x = np.hstack(blocks)
    target = np.concatenate([np.ones(m, dtype=int), np.zeros(r, dtype=int)])
    scores = np.zeros(len(target))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for train, test in StratifiedKFold(FOLDS, shuffle=True, random_state=seed).split(x, target):
            model = HistGradientBoostingClassifier(max_iter=100, max_leaf_nodes=15, early_stopping=False,
                                                   categorical_features=np.array(categorical), random_state=seed)
            model.fit(x[train], target[train])
            scores[test] = model.predict_proba(x[test])[:, 1]
    from scipy.stats import rankdata

    ranks = rankdata(scores)
    auc = float((ranks[:m].sum() - m * (m + 1) / 2) / (m * r))
    z = (auc - 0.5) / np.sqrt((m + r + 1) / (12.0 * m * r))
    return {"test": "classifier", "statistic": round(auc, 6), "p_value": float(norm.sf(z)),
            "model": "hist-gradient-boosting, 5-fold out-of-fold AUC", "sample_rows": {"current": int(m), "reference": int(r)},
            "sampled": bool(n_a > CLASSIFIER_SAMPLE or n_b > CLASSIFIER_SAMPLE),
            "effect_size": {"auc": round(auc, 6)}}


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
