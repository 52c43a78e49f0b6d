"""Backdoor triggers: a value (or token n-gram) that is rare overall, almost always carries one label
against that label's base rate, and on whose rows the *rest* of the features disagree with that label.

The last condition is what separates a planted trigger from a naturally predictive value: a model
trained without the candidate feature, on rows that do not carry it, predicts the label of the
carrying rows. Natural values: it agrees (the other features say the same). A trigger stamped onto
rows of other classes and relabelled: it disagrees, far above its error rate elsewhere.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from .features import Features

MAX_SUPPORT = 0.25        # a trigger is rare: on at most this share of rows
MIN_PURITY = 0.8          # share of carrying rows with the trigger's label
MIN_ROWS = 5
MAX_VERIFY = 12           # candidates checked with a model (most significant first)
VERIFY_TRAIN = 20_000
CONTRADICTED = 0.3        # share of carrying rows the rest of the features must contradict
CONFIDENT_NOT = 0.2       # ... by giving the row's label at most this probability


@dataclass
class Trigger:
    feature: str
    value: str
    kind: str                 # "value" | "tail" | "ngram"
    label: str
    rows: np.ndarray          # global indices of carrying rows with the trigger's label
    carrying: int
    purity: float
    base_rate: float
    contradicted: float       # share of those rows the rest of the features assign to another label
    baseline_error: float     # the same model's error on rows of that label without the trigger
    p_value: float
    shared: list | None = None  # other feature values the carrying rows share (the trigger's other parts)

    def to_json(self, limit: int = 20) -> dict:
        return {"feature": self.feature, "value": self.value, "kind": self.kind, "label": self.label,
                "shared_values": self.shared or [],
                "rows": int(len(self.rows)), "carrying_rows": int(self.carrying),
                "purity": round(self.purity, 4), "base_rate": round(self.base_rate, 4),
                "contradicted": round(self.contradicted, 4), "baseline_error": round(self.baseline_error, 4),
                "p_value": float(f"{self.p_value:.3g}"), "example_rows": [int(r) for r in self.rows[:limit]]}


@dataclass
class _Candidate:
    feature: int | None      # feature index (tabular) or None (text)
    name: str
    value: str
    kind: str
    mask: np.ndarray
    label: int
    purity: float
    base: float
    p_value: float
    companions: list = None  # other candidates on (mostly) the same rows: a trigger of several parts


def find_triggers(features: Features) -> tuple[list[Trigger], dict]:
    """Confirmed triggers and a summary of what was examined."""
    from scipy.stats import binom

    labels = features.labels
    has = labels >= 0
    n_labelled = int(has.sum())
    k = len(features.classes)
    if n_labelled < 20 or k < 2:
        return [], {"candidates": 0, "verified": 0, "note": "too few labelled rows"}
    from .labels import continuous_label

    if continuous_label(features):
        return [], {"candidates": 0, "verified": 0, "note": "a continuous label: triggers need classes"}
    base = np.bincount(labels[has], minlength=k) / n_labelled
    candidates: list[_Candidate] = []
    min_rows = max(MIN_ROWS, int(0.001 * n_labelled))
    for index, mask, name, value, kind, near in _tabular_items(features, min_rows, n_labelled):
        found = _judge(mask & has, labels, base, k, min_rows, index, name, value, kind)
        if found and _smooth(found[0], near, labels, has):
            continue
        candidates.extend(found)
    candidates.extend(_pair_candidates(features, labels, has, base, k, min_rows))
    if features.text is not None:
        candidates.extend(_ngram_candidates(features, labels, has, base, k, min_rows))
    tests = max(1, len(candidates))
    # Bonferroni over every candidate examined: a natural data set yields many candidates. Those left
    # are ranked by a cheap screen (a linear model with the candidate's columns zeroed) so that the
    # few retrained checks go to the candidates most likely to be contradicted by the other features.
    strong = sorted((c for c in candidates if c.p_value * tests < 0.2), key=lambda c: c.p_value)[:200]
    _companions(strong, sorted(candidates, key=lambda c: c.p_value)[:500])
    screen = _prescreen(features, strong, labels, has)
    order = sorted(range(len(strong)), key=lambda i: (-round(screen[i], 2), strong[i].p_value))
    strong = [strong[i] for i in order if screen[i] >= CONTRADICTED / 2]
    confirmed: list[Trigger] = []
    checked = natural = 0
    for candidate in strong[:MAX_VERIFY]:
        checked += 1
        verdict = _verify(features, candidate, labels, has)
        if verdict is None:
            continue
        contradicted, baseline, rows = verdict
        carried = int((candidate.mask & has).sum())
        n_rows = len(rows)
        p_dis = binom.sf(int(round(contradicted * n_rows)) - 1, n_rows, min(max(baseline, 0.01), 0.99))
        evidence = candidate.p_value * tests * p_dis  # rare-and-pure, then contradicted: independent tests
        if contradicted >= CONTRADICTED and contradicted >= 2 * baseline + 0.1 and p_dis < 1e-3 and evidence < 1e-6:
            # tabular only: on text a TF-IDF model told planted documents apart too (the example
            # repository's review trigger was judged natural), so n-grams are not checked yet
            if candidate.kind != "ngram" and _subpopulation(features, candidate, labels, has):
                natural += 1
                continue
            confirmed.append(Trigger(candidate.name, candidate.value, candidate.kind,
                                     features.classes[candidate.label], rows, carried, candidate.purity,
                                     float(base[candidate.label]), contradicted, baseline,
                                     float(candidate.p_value * tests)))
    confirmed = _dedupe(confirmed)
    for trigger in confirmed:
        trigger.shared = _shared_values(features, trigger)
    return confirmed, {"candidates": len(candidates), "significant": len(strong), "verified": checked,
                       "natural_subpopulations": natural}


def _smooth(candidate: _Candidate, near: list[np.ndarray], labels, has) -> bool:
    """True when a neighbouring value range (the next distinct value either side, or the band inside a
    tail) leans to the same label just as strongly: a natural threshold (calls >= 6 -> churn), not a
    stamped value, which stands alone among neighbours of mixed labels."""
    for mask in near:
        rows = mask & has
        total = int(rows.sum())
        if total >= 3 and np.mean(labels[rows] == candidate.label) >= MIN_PURITY:
            return True
    return False


def _tabular_items(features: Features, min_rows: int, n: int):
    """(feature index, mask, name, value text, kind, neighbour masks) for rare values and extreme tails."""
    limit = int(MAX_SUPPORT * n)
    for index, (name, kind, raw) in enumerate(zip(features.names, features.kinds, features.raw)):
        if kind == "categorical":
            codes = raw
            counts = np.bincount(codes[codes >= 0], minlength=len(features.levels[index]))
            for code in np.flatnonzero((counts >= min_rows) & (counts <= limit)):
                yield index, codes == code, name, features.levels[index][code], "value", []
            continue
        finite = raw[~np.isnan(raw)]
        if len(finite) == 0:
            continue
        values, counts = np.unique(finite, return_counts=True)
        if len(values) <= 1:
            continue
        for position in np.flatnonzero((counts >= min_rows) & (counts <= limit)):
            value = values[position]
            near = [raw == values[p] for p in (position - 1, position + 1) if 0 <= p < len(values)]
            yield index, raw == value, name, _number(value), "value", near
        if len(values) >= 20:  # extreme tails of a continuous feature, as one candidate each
            median = np.median(finite)
            mad = np.median(np.abs(finite - median)) * 1.4826
            if mad > 0:
                high, inner_high = median + 6 * mad, median + 3 * mad
                low, inner_low = median - 6 * mad, median - 3 * mad
                yield index, raw > high, name, f"> {_number(high)}", "tail", [(raw > inner_high) & (raw <= high)]
                yield index, raw < low, name, f"< {_number(low)}", "tail", [(raw < inner_low) & (raw >= low)]


def _number(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.6g}"


def _judge(mask, labels, base, k, min_rows, index, name, value, kind) -> list[_Candidate]:
    from scipy.stats import binom

    support = int(mask.sum())
    if support < min_rows:
        return []
    counts = np.bincount(labels[mask], minlength=k)
    label = int(np.argmax(counts))
    purity = counts[label] / support
    if purity < max(MIN_PURITY, base[label] + 0.5 * (1 - base[label])):
        return []
    p_value = float(binom.sf(counts[label] - 1, support, base[label]))
    return [_Candidate(index, name, value, kind, mask, label, float(purity), float(base[label]), p_value)]


def _ngram_candidates(features: Features, labels, has, base, k, min_rows) -> list[_Candidate]:
    """Token 1-3-grams (as written, lower-cased) present in few documents and nearly always one label."""
    import scipy.sparse as sp
    from scipy.stats import binom
    from sklearn.feature_extraction.text import CountVectorizer

    n = features.n
    vectorizer = CountVectorizer(binary=True, ngram_range=(1, 3), min_df=min_rows, max_df=MAX_SUPPORT,
                                 token_pattern=r"(?u)\b\w+\b|[^\w\s]{2,}", dtype=np.int32, max_features=500_000)
    try:
        counts = vectorizer.fit_transform(features.text).tocsc()
    except ValueError:
        return []
    onehot = sp.csr_matrix((np.ones(int(has.sum())), (np.flatnonzero(has), labels[has])), shape=(n, k))
    by_label = np.asarray((counts.T @ onehot).todense())
    support = by_label.sum(axis=1)
    keep = support >= min_rows
    best = by_label.argmax(axis=1)
    purity = by_label[np.arange(len(best)), best] / np.maximum(support, 1)
    keep &= purity >= np.maximum(MIN_PURITY, base[best] + 0.5 * (1 - base[best]))
    vocabulary = np.array(vectorizer.get_feature_names_out())
    out = []
    for column in np.flatnonzero(keep):
        hits = int(by_label[column, best[column]])
        p_value = float(binom.sf(hits - 1, int(support[column]), base[best[column]]))
        mask = np.zeros(n, dtype=bool)
        mask[counts.indices[counts.indptr[column]:counts.indptr[column + 1]]] = True
        out.append(_Candidate(None, features.text_name, str(vocabulary[column]), "ngram", mask, int(best[column]),
                              float(purity[column]), float(base[best[column]]), p_value))
    # an n-gram and the n-grams inside it mark the same rows: keep the most significant per row set
    out.sort(key=lambda c: (c.p_value, -len(c.value)))
    seen, unique = set(), []
    for candidate in out:
        key = hash(np.flatnonzero(candidate.mask).tobytes())
        if key not in seen:
            seen.add(key)
            unique.append(candidate)
    return unique


def _companions(strong: list[_Candidate], pool: list[_Candidate], sample_cap: int = 20_000) -> None:
    """Give each strong candidate the candidates that mark mostly the same rows (two stamped pixels,
    two tokens): a model left without one part would still see the other, so they are left out together."""
    if not strong:
        return
    n = len(strong[0].mask)
    rows = np.arange(n) if n <= sample_cap else np.sort(np.random.default_rng(3).choice(n, sample_cap, replace=False))
    a = np.stack([c.mask[rows] for c in strong], axis=1).astype(np.float32)
    b = np.stack([c.mask[rows] for c in pool], axis=1).astype(np.float32)
    inter = a.T @ b
    size_a, size_b = a.sum(axis=0), b.sum(axis=0)
    for i, candidate in enumerate(strong):
        near = np.flatnonzero((inter[i] > 0) & (inter[i] >= 0.5 * np.maximum(size_a[i], size_b)))
        candidate.companions = [pool[j] for j in near if pool[j] is not candidate]


def _hidden_columns(features: Features, candidate: _Candidate) -> list[int]:
    parts = [candidate] + [c for c in (candidate.companions or []) if c.kind != "ngram"]
    return sorted({col for part in parts if part.kind != "ngram" for col in _columns(features, part.feature)})


def _hidden_words(candidate: _Candidate) -> set[str]:
    import re

    parts = [candidate] + [c for c in (candidate.companions or []) if c.kind == "ngram"]
    return {w for part in parts if part.kind == "ngram" for w in re.findall(r"\w+|[^\w\s]{2,}", part.value.lower())}


def _prescreen(features: Features, candidates: list[_Candidate], labels, has) -> list[float]:
    """Share of each candidate's rows that one linear model, fitted on everything, assigns to another
    label once the candidate's own columns are zeroed. Approximate (no retraining), only for ordering."""
    import warnings as _warnings

    from sklearn.linear_model import LogisticRegression

    if not candidates:
        return []
    rows = np.flatnonzero(has)
    rng = np.random.default_rng(1)
    fit_rows = rows if len(rows) <= 50_000 else np.sort(rng.choice(rows, 50_000, replace=False))
    text = any(c.kind == "ngram" for c in candidates)
    x = features.tfidf.tocsr() if text else np.clip(features.scaled, -10, 10)
    if x.shape[1] == 0:
        return [1.0] * len(candidates)
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        model = LogisticRegression(C=4.0 if text else 1.0, max_iter=300).fit(x[fit_rows], labels[fit_rows])
    coef = model.coef_
    classes = model.classes_
    if coef.shape[0] == 1:  # binary: logits (0, z)
        coef = np.vstack([np.zeros_like(coef[0]), coef[0]])
        intercept = np.array([0.0, model.intercept_[0]])
    else:
        intercept = model.intercept_
    vocabulary = features.vocabulary or {}
    out = []
    for candidate in candidates:
        carrying = np.flatnonzero(candidate.mask & has & (labels == candidate.label))
        if candidate.kind == "ngram":
            words = _hidden_words(candidate)
            columns = [j for term, j in vocabulary.items() if words & set(term.split())]
        else:
            columns = _hidden_columns(features, candidate)
        block = x[carrying]
        logits = block @ coef.T + intercept
        if columns:
            part = block[:, columns]
            logits = logits - np.asarray(part @ coef[:, columns].T)
        predicted = classes[np.argmax(np.asarray(logits), axis=1)]
        out.append(float(np.mean(predicted != candidate.label)) if len(carrying) else 0.0)
    return out


def _verify(features: Features, candidate: _Candidate, labels, has):
    """(share of carrying rows contradicted, baseline error on the label elsewhere, carrying rows) or None."""
    rows = np.flatnonzero(candidate.mask & has & (labels == candidate.label))
    carrying = candidate.mask.copy()
    for companion in candidate.companions or []:
        carrying |= companion.mask
    fitted = _fit_without(features, candidate, labels, has, ~carrying)
    if fitted is None or len(rows) < MIN_ROWS:
        return None
    probability, held = fitted
    # contradicted = the other features give the label at most CONFIDENT_NOT: a stamped row is an
    # ordinary example of another class; a natural but atypical row only leaves the model unsure
    contradicted = float(np.mean(probability(rows, candidate.label) <= CONFIDENT_NOT))
    held_same = held[labels[held] == candidate.label]
    baseline = (float(np.mean(probability(held_same, candidate.label) <= CONFIDENT_NOT))
                if len(held_same) >= 5 else 0.5)
    return contradicted, baseline, rows


SUBPOPULATION_AUC = 0.7
SUBPOPULATION_Z = 3.0
SUBPOPULATION_SAMPLE = 4000


def _subpopulation(features: Features, candidate: _Candidate, labels, has) -> bool:
    """Whether the *other* features tell the carrying rows from the rows of the other labels, out of
    fold, with a high and significant AUC (a tabular candidate).

    A stamp is laid over ordinary rows of other classes: without the stamp they are a sample of those
    classes, and no model tells them apart (AUC near 0.5). A value that genuinely decides the label
    (a neighbourhood zoned one way, a standard lot size of town houses) marks a sub-population that
    differs from the rest in many other ways too: the model tells its rows apart easily."""
    import warnings as _warnings

    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    positives = np.flatnonzero(candidate.mask & has & (labels == candidate.label))
    carrying = candidate.mask.copy()
    for companion in candidate.companions or []:
        carrying |= companion.mask
    negatives = np.flatnonzero(~carrying & has & (labels != candidate.label))
    drop = set(_hidden_columns(features, candidate))
    keep = [j for j in range(features.matrix.shape[1]) if j not in drop]
    if len(positives) < MIN_ROWS or len(negatives) < 2 * MIN_ROWS or not keep:
        return False
    rng = np.random.default_rng(4)
    if len(negatives) > SUBPOPULATION_SAMPLE:
        negatives = np.sort(rng.choice(negatives, SUBPOPULATION_SAMPLE, replace=False))
    if len(positives) > SUBPOPULATION_SAMPLE:
        positives = np.sort(rng.choice(positives, SUBPOPULATION_SAMPLE, replace=False))
    rows = np.concatenate([positives, negatives])
    target = np.concatenate([np.ones(len(positives), dtype=int), np.zeros(len(negatives), dtype=int)])
    x = features.matrix[np.ix_(rows, keep)]
    scores = np.zeros(len(rows))
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        for train, test in StratifiedKFold(3, shuffle=True, random_state=0).split(rows, target):
            model = HistGradientBoostingClassifier(max_iter=60, max_leaf_nodes=15, random_state=0,
                                                   class_weight="balanced").fit(x[train], target[train])
            scores[test] = model.predict_proba(x[test])[:, 1]
    auc = float(roc_auc_score(target, scores))
    n1, n0 = len(positives), len(negatives)
    z = (auc - 0.5) / np.sqrt((n0 + n1 + 1) / (12.0 * n0 * n1))
    return auc >= SUBPOPULATION_AUC and z >= SUBPOPULATION_Z


def _fit_without(features: Features, candidate: _Candidate, labels, has, allowed):
    """(predict, held-out rows) of a model trained without the candidate's feature, or None."""
    others = np.flatnonzero(allowed & ~candidate.mask & has)
    if len(others) < 20:
        return None
    rng = np.random.default_rng(0)
    if len(others) > VERIFY_TRAIN:
        others = np.sort(rng.choice(others, VERIFY_TRAIN, replace=False))
    shuffled = rng.permutation(others)
    cut = max(1, int(0.8 * len(shuffled)))
    train, held = shuffled[:cut], shuffled[cut:]
    if len(np.unique(labels[train])) < 2:
        return None
    predict = _model_without(features, candidate, train, labels[train])
    return None if predict is None else (predict, held)


def _model_without(features: Features, candidate: _Candidate, train, y):
    """A quick classifier that never sees the candidate (its feature's columns or its n-gram's tokens)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if candidate.kind == "ngram":
            from sklearn.feature_extraction.text import TfidfVectorizer
            from sklearn.linear_model import LogisticRegression

            words = _hidden_words(candidate)
            vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=2, token_pattern=r"(?u)\b\w+\b|[^\w\s]{2,}",
                                         stop_words=list(words) or None, dtype=np.float32)
            docs = features.text
            try:
                x_train = vectorizer.fit_transform([docs[i] for i in train])
            except ValueError:
                return None
            model = LogisticRegression(C=4.0, max_iter=500).fit(x_train, y)
            return _probability(model, lambda index: vectorizer.transform([docs[i] for i in index]))
        from sklearn.ensemble import HistGradientBoostingClassifier

        drop = set(_hidden_columns(features, candidate))
        keep = [j for j in range(features.matrix.shape[1]) if j not in drop]
        if not keep:
            return None
        m = features.matrix[:, keep]
        model = HistGradientBoostingClassifier(max_iter=40, max_leaf_nodes=15, random_state=0).fit(m[train], y)
        return _probability(model, lambda index: m[index])


def _probability(model, inputs):
    """f(rows, label) -> the model's probability of ``label`` for each row (0 for a label it never saw)."""
    def probability(index, label):
        if len(index) == 0:
            return np.zeros(0)
        where = np.flatnonzero(model.classes_ == label)
        if len(where) == 0:
            return np.zeros(len(index))
        return model.predict_proba(inputs(index))[:, where[0]]
    return probability


def _shared_values(features: Features, trigger: Trigger) -> list[dict]:
    """Feature values that at least 90 % of the trigger's rows carry but at most 10 % of other rows do:
    the rest of a stamp (a second pixel whose value also occurs naturally)."""
    rows = trigger.rows
    n = features.n
    if len(rows) == 0:
        return []
    inside = np.zeros(n, dtype=bool)
    inside[rows] = True
    out = []
    for name, kind, raw, levels in zip(features.names, features.kinds, features.raw, features.levels):
        if name in trigger.feature.split(" & "):
            continue
        values, counts = np.unique(raw[rows], return_counts=True)
        top = int(np.argmax(counts))
        if counts[top] < 0.9 * len(rows) or (kind == "numeric" and np.isnan(values[top])):
            continue
        value = values[top]
        elsewhere = float(np.mean(raw[~inside] == value)) if (~inside).any() else 1.0
        if elsewhere <= 0.1:
            shown = levels[int(value)] if kind == "categorical" else _number(value)
            out.append({"feature": name, "value": shown, "share_elsewhere": round(elsewhere, 4)})
    return out[:10]


def _columns(features: Features, feature) -> list[int]:
    """Model-matrix columns of one feature index or of a pair of them."""
    indices = feature if isinstance(feature, tuple) else (feature,)
    return [c for index in indices for c in features.columns_of[index]]


PAIR_ITEMS = 300
PAIR_SAMPLE = 50_000
PAIR_MAX_LEVELS = 32
PAIR_PART_LIFT = 0.35


def _pair_candidates(features: Features, labels, has, base, k, min_rows) -> list[_Candidate]:
    """Value combinations of two low-cardinality features that are rare together, nearly always one
    label, and purer than either value alone (else the single value is the candidate)."""
    n = features.n
    items = []  # (feature index, value text, mask, the neighbouring values of a number)
    for index, (kind, raw) in enumerate(zip(features.kinds, features.raw)):
        if kind == "categorical":
            codes = raw
            levels = features.levels[index]
            if len(levels) > PAIR_MAX_LEVELS:
                continue
            for code in range(len(levels)):
                mask = codes == code
                if min_rows <= mask.sum() <= 0.6 * n:
                    items.append((index, levels[code], mask, ()))
        else:
            finite = raw[~np.isnan(raw)]
            values = np.unique(finite)
            if len(values) > PAIR_MAX_LEVELS or len(values) < 2:
                continue
            for position, value in enumerate(values):
                mask = raw == value
                if min_rows <= mask.sum() <= 0.6 * n:
                    near = tuple(values[p] for p in (position - 1, position + 1) if 0 <= p < len(values))
                    items.append((index, _number(value), mask, near))
    if len(items) < 2:
        return []
    if len(items) > PAIR_ITEMS:  # the rarest items are where a combination can be rare
        items = sorted(items, key=lambda it: int(it[2].sum()))[:PAIR_ITEMS]
    rng = np.random.default_rng(2)
    rows = np.flatnonzero(has)
    sample = rows if len(rows) <= PAIR_SAMPLE else np.sort(rng.choice(rows, PAIR_SAMPLE, replace=False))
    scale = len(rows) / len(sample)
    m = np.stack([it[2][sample] for it in items], axis=1).astype(np.float32)
    joint = m.T @ m
    feature_of = np.array([it[0] for it in items])
    same = feature_of[:, None] == feature_of[None, :]
    best = np.zeros_like(joint)
    best_label = np.zeros(joint.shape, dtype=np.int64)
    for label in range(k):
        weighted = m * (labels[sample] == label)[:, None]
        counts = m.T @ weighted
        better = counts > best
        best[better] = counts[better]
        best_label[better] = label
    single = np.array([np.max(np.bincount(labels[it[2] & has], minlength=k)) / max(1, int((it[2] & has).sum()))
                       for it in items])
    with np.errstate(invalid="ignore", divide="ignore"):
        purity = best / joint
    upper = np.triu(np.ones_like(joint, dtype=bool), 1)
    ok = (upper & ~same & (joint * scale >= min_rows) & (joint <= MAX_SUPPORT * len(sample))
          & (purity >= MIN_PURITY) & (purity >= np.maximum(single[:, None], single[None, :]) + 0.2))
    # label shares of each single value, to see whether a part already points at the pair's label
    shares = np.stack([np.bincount(labels[it[2] & has], minlength=k) / max(1, int((it[2] & has).sum()))
                       for it in items])
    out = []
    for i, j in zip(*np.nonzero(ok)):
        a, b = items[i], items[j]
        label = int(best_label[i, j])
        lift = lambda item: (shares[item, label] - base[label]) / max(1e-9, 1 - base[label])  # noqa: E731
        if lift(i) >= PAIR_PART_LIFT or lift(j) >= PAIR_PART_LIFT:
            # a part that is itself telling (a pixel only 1s and 2s ever light) marks a natural
            # sub-population that the pair refines, not a stamp laid over ordinary rows
            continue
        mask = a[2] & b[2]
        name = f"{features.names[a[0]]} & {features.names[b[0]]}"
        found = _judge(mask & has, labels, base, k, min_rows, (int(a[0]), int(b[0])), name,
                       f"{a[1]} & {b[1]}", "pair")
        # a number's neighbouring values with the same other part leaning the same way: a natural
        # threshold over a pair (the plan and at most two calls -> churn), not a stamped combination
        if found and _smooth(found[0], [a[2] & (features.raw[b[0]] == v) for v in b[3]]
                             + [b[2] & (features.raw[a[0]] == v) for v in a[3]], labels, has):
            continue
        out.extend(found)
    out.sort(key=lambda c: c.p_value)
    return out[:200]


def _dedupe(triggers: list[Trigger]) -> list[Trigger]:
    """A tail candidate that mostly holds an exact-value trigger of the same feature adds natural rows
    to it: keep the exact value. (Two features of one trigger, two stamped pixels, are both kept.)"""
    values = [t for t in triggers if t.kind == "value"]
    kept = []
    for trigger in triggers:
        if trigger.kind == "tail" and any(
                v.feature == trigger.feature and len(np.intersect1d(v.rows, trigger.rows)) >= 0.5 * len(trigger.rows)
                for v in values):
            continue
        kept.append(trigger)
    return sorted(kept, key=lambda t: (-len(t.rows), t.feature, t.value))
