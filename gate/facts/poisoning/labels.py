"""Label issues: out-of-fold predicted probabilities fed to confident learning (cleanlab).

Tabular: the average of a gradient-boosting model and a logistic regression on scaled features,
each out-of-fold. Averaging two different learners gives probabilities that rank wrong labels
better than either alone (measured in benchmarks/poisoning.py). Text: a logistic regression on
TF-IDF (+ the scaled tabular features, if any). Folds train on at most TRAIN_CAP rows.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .features import Features

FOLDS = 5
TRAIN_CAP = 200_000
MIN_PER_CLASS = 5
KNN_CAP = 20_000
POOL_FIT_CAP = 200_000
LARGE = 100_000
"""From this many rows on, 3 folds instead of 5 and no k-nearest neighbours: each fold still trains
on 67,000+ rows, where the pool gives gradient boosting nearly all the weight (200,000 x 30, 5 %
flips: weights 1.07 / 0.00 / 0.06), and the label-issue step took 1.6x cleanlab with gradient
boosting alone. Measured there: 3 folds without neighbours 35 s against cleanlab's 42 s, AUROC
0.9947 against 0.9950 (5 folds with neighbours: 66 s, 0.9951). See _folds for 2."""


@dataclass
class LabelResult:
    judged: np.ndarray          # rows with a label in a class large enough to judge
    probs: np.ndarray           # (n, k) out-of-fold probabilities (rows not judged: zeros)
    quality: np.ndarray         # cleanlab self-confidence per row (1.0 where not judged)
    issue: np.ndarray           # cleanlab's find_label_issues mask
    classes: list[int]          # class codes modelled (columns of probs)
    models: list[str]
    sampled: int | None         # rows each fold trained on, when capped
    note: str | None = None
    folds: int = FOLDS


def out_of_fold(features: Features, labels: np.ndarray, rows: np.ndarray, folds: int = FOLDS, seed: int = 0) -> tuple[np.ndarray, list[str], int | None]:
    """Out-of-fold probabilities for ``rows`` (labels already 0..k-1 there)."""
    from sklearn.model_selection import StratifiedKFold

    k = int(labels[rows].max()) + 1
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    rng = np.random.default_rng(seed)
    sampled = None
    learners = _learners(features, len(rows))
    each = {name: np.zeros((len(rows), k)) for name in learners}
    for train, test in splitter.split(np.zeros(len(rows)), labels[rows]):
        if len(train) > TRAIN_CAP:
            train = np.sort(rng.choice(train, TRAIN_CAP, replace=False))
            sampled = TRAIN_CAP
        for name, fit in learners.items():
            each[name][test] = fit(rows[train], labels[rows[train]], rows[test], k)
    probs, weights = pool(list(each.values()), labels[rows])
    used = [f"{name} x{w:.2f}" for name, w in zip(learners, weights)]
    return probs, used, sampled


def pool(probs: list[np.ndarray], given: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """Log-linear pooling: p ∝ Π p_i^w_i with w ≥ 0 fitted to the out-of-fold log-loss of the given labels.

    Noisy labels still tell which learner fits the data; the fit also tempers over-confident learners
    (gradient boosting's probabilities are extreme). Three weights, so it cannot overfit the noise.
    """
    from scipy.optimize import minimize

    if len(given) > POOL_FIT_CAP:  # three weights: a sample of rows fits them as well as all of them
        pick = np.sort(np.random.default_rng(0).choice(len(given), POOL_FIT_CAP, replace=False))
        _, weights = pool([p[pick] for p in probs], given[pick])
        return _mixed_with(probs, weights), weights
    logs = [np.log(np.clip(p, 1e-4, 1.0)) for p in probs]
    index = np.arange(len(given))

    def mixed(w):
        z = sum(wi * lp for wi, lp in zip(w, logs))
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    def loss(w):
        return -float(np.mean(mixed(w)[index, given]))

    start = np.full(len(probs), 1.0 / len(probs))
    result = minimize(loss, start, bounds=[(0.0, 10.0)] * len(probs), method="L-BFGS-B")
    weights = result.x if result.success or np.isfinite(result.fun) else start
    if not np.any(weights > 0):
        weights = start
    return np.exp(mixed(weights)), [float(w) for w in weights]


def _mixed_with(probs: list[np.ndarray], weights: list[float]) -> np.ndarray:
    """p ∝ Π p_i^w_i, normalised per row (the pool with fixed weights)."""
    z = sum(w * np.log(np.clip(p, 1e-4, 1.0)) for w, p in zip(weights, probs))
    z = z - z.max(axis=1, keepdims=True)
    z = np.exp(z)
    return z / z.sum(axis=1, keepdims=True)


def _learners(features: Features, rows: int | None = None):
    if features.text is not None:
        return {"logistic-regression(tfidf)": lambda tr, y, te, k: _text_lr(features, tr, y, te, k)}
    if not features.matrix.shape[1]:
        return {}
    learners = {"hist-gradient-boosting": lambda tr, y, te, k: _hgb(features, tr, y, te, k),
                "logistic-regression": lambda tr, y, te, k: _lr(features, tr, y, te, k),
                "k-nearest-neighbours": lambda tr, y, te, k: _knn(features, tr, y, te, k)}
    if (features.n if rows is None else rows) >= LARGE:  # the rows modelled, as _folds counts them
        del learners["k-nearest-neighbours"]
    return learners


def _bounded(features: Features) -> np.ndarray:
    """The scaled matrix clipped to ±10: one extreme value must not dominate a linear or distance model."""
    return np.clip(features.scaled, -10, 10)


def _fill(probs: np.ndarray, seen: np.ndarray, k: int) -> np.ndarray:
    full = np.zeros((probs.shape[0], k))
    full[:, seen] = probs
    return full


def _hgb(features, train, y, test, k):
    from sklearn.ensemble import HistGradientBoostingClassifier

    m = features.matrix
    model = HistGradientBoostingClassifier(max_bins=127, random_state=0)
    model.fit(m[train], y)
    return _fill(model.predict_proba(m[test]), model.classes_, k)


def _lr(features, train, y, test, k):
    from sklearn.linear_model import LogisticRegression

    m = _bounded(features)
    model = LogisticRegression(C=1.0, max_iter=300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(m[train], y)
    return _fill(model.predict_proba(m[test]), model.classes_, k)


def _knn(features, train, y, test, k):
    from sklearn.neighbors import KNeighborsClassifier

    m = _bounded(features)
    if len(train) > KNN_CAP:  # neighbour search is the costly part: a sample of references suffices
        pick = np.sort(np.random.default_rng(0).choice(len(train), KNN_CAP, replace=False))
        train, y = train[pick], y[pick]
    model = KNeighborsClassifier(n_neighbors=min(15, len(train)), weights="distance", n_jobs=1)
    model.fit(m[train], y)
    probs = _fill(model.predict_proba(m[test]), model.classes_, k)
    return 0.9 * probs + 0.1 / k  # k neighbours vote in steps: keep every class possible


def _text_lr(features, train, y, test, k):
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression

    x = features.tfidf
    if features.matrix.shape[1]:
        x = sp.hstack([x, sp.csr_matrix(_bounded(features) / 10)], format="csr")
    model = LogisticRegression(C=4.0, max_iter=500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x[train], y)
    return _fill(model.predict_proba(x[test]), model.classes_, k)


def _folds(rows: int) -> int:
    """5 folds; 3 from LARGE rows; 2 once half the rows exceed TRAIN_CAP: every fold then trains on a
    sample of TRAIN_CAP rows however many folds there are, and a fold more is only a fit more."""
    if rows < LARGE:
        return FOLDS
    return 2 if rows // 2 >= TRAIN_CAP else 3


def continuous_label(features: Features) -> bool:
    """More than 100 distinct labels, or more than 20 that are over 5 % of the rows: a regression target."""
    k = len(features.classes)
    return k > 100 or (k > 20 and k > 0.05 * features.n)


def label_issues(features: Features) -> LabelResult | str:
    """Confident learning over out-of-fold probabilities; a string says why it could not run."""
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    labels = features.labels
    n = features.n
    if continuous_label(features):
        return (f"the label has {len(features.classes)} distinct values: it looks like a continuous target, "
                "and these methods need classes")
    counts = np.bincount(labels[labels >= 0], minlength=len(features.classes))
    big = np.flatnonzero(counts >= MIN_PER_CLASS)
    if len(big) < 2:
        return f"needs at least two classes with {MIN_PER_CLASS} or more rows"
    remap = np.full(len(features.classes), -1)
    remap[big] = np.arange(len(big))
    local = np.where(labels >= 0, remap[np.maximum(labels, 0)], -1)
    rows = np.flatnonzero(local >= 0)
    folds = int(min(_folds(len(rows)), counts[big].min()))
    probs, models, sampled = out_of_fold(features, local, rows, folds=folds)
    given = local[rows]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        quality = get_label_quality_scores(given, probs, method="self_confidence")
        issue = find_label_issues(given, probs, filter_by="prune_by_noise_rate", n_jobs=1)
    full_probs = np.zeros((n, len(big)))
    full_probs[rows] = probs
    full_quality = np.ones(n)
    full_quality[rows] = quality
    full_issue = np.zeros(n, dtype=bool)
    full_issue[rows] = issue
    judged = np.zeros(n, dtype=bool)
    judged[rows] = True
    note = None
    if len(big) < len(features.classes):
        note = f"{len(features.classes) - len(big)} classes with fewer than {MIN_PER_CLASS} rows not judged"
    return LabelResult(judged, full_probs, full_quality, full_issue, [int(c) for c in big], models, sampled, note,
                       folds)
