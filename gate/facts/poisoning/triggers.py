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
LIKE_OTHERS = 0.5         # or: the carrying rows sit at least this far from the label's own rows towards
                          # the other labels' rows, in the probability the rest of the features give the label


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


def find_triggers(features: Features, suspects: np.ndarray | None = None) -> tuple[list[Trigger], dict]:
    """Confirmed triggers and a summary of what was examined. ``suspects``: rows whose label the
    out-of-fold models (labels.py) give at most 20 %, for triggers on common values."""
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
    if suspects is not None:
        candidates.extend(_level_candidates(features, labels, has, base, k, min_rows, suspects))
    tests = max(1, len(candidates))
    # Bonferroni over every candidate examined: a natural data set yields many candidates. Those left
    # are ranked by a cheap screen (a linear model with the candidate's columns zeroed) so that the
    # few retrained checks go to the candidates most likely to be contradicted by the other features.
    strong = sorted((c for c in candidates if c.p_value * tests < 0.2), key=lambda c: c.p_value)[:200]
    _companions(strong, sorted(candidates, key=lambda c: c.p_value)[:500])
    screen = _prescreen(features, strong, labels, has)
    # most contradicted first, then the least explained: each kind of evidence gets verified slots
    keep = [i for i in range(len(strong)) if screen[i][0] >= CONTRADICTED / 2 or screen[i][1] >= LIKE_OTHERS / 2]
    by_contradiction = sorted(keep, key=lambda i: (-round(screen[i][0], 2), strong[i].p_value))
    by_position = sorted(keep, key=lambda i: (-round(screen[i][1], 1), strong[i].p_value))
    order = list(dict.fromkeys(j for pair in zip(by_contradiction, by_position) for j in pair))
    strong = [strong[i] for i in order]
    confirmed: list[Trigger] = []
    checked = natural = 0
    for candidate in strong[:MAX_VERIFY]:
        checked += 1
        verdict = _verify(features, candidate, labels, has)
        if verdict is None:
            continue
        contradicted, baseline, rows, (position, p_shift), _ = verdict
        carried = int((candidate.mask & has).sum())
        n_rows = len(rows)
        p_dis = binom.sf(int(round(contradicted * n_rows)) - 1, n_rows, min(max(baseline, 0.01), 0.99))
        evidence = candidate.p_value * tests  # rare-and-pure, then contradicted: independent tests
        if candidate.kind == "level":
            found = _level_verdict(candidate, verdict)
            if found is not None and evidence * found[1] < LEVEL_EVIDENCE:
                confirmed.append(Trigger(candidate.name, candidate.value, "value", features.classes[candidate.label],
                                         found[0], carried, candidate.purity, float(base[candidate.label]),
                                         contradicted, baseline, float(min(1.0, evidence * found[1]))))
            continue
        contradicted_rows = (contradicted >= CONTRADICTED and contradicted >= 2 * baseline + 0.1 and p_dis < 1e-3
                             and evidence * p_dis < 1e-6)
        # relative evidence, for a model that is rarely confident (a target that is the majority
        # class, 1-3 % of documents): the rows look like the other labels' rows, not like the label's
        like_others = position >= LIKE_OTHERS and p_shift < 1e-3 and evidence * p_shift < 1e-6
        if contradicted_rows or like_others:
            # tabular only: on text a TF-IDF model told planted documents apart too (the example
            # repository's review trigger was judged natural), so n-grams are not checked yet
            if candidate.kind != "ngram" and (_one_hot(features, candidate, labels, has)
                                              or _subpopulation(features, candidate, labels, has)):
                natural += 1
                continue
            confirmed.append(Trigger(candidate.name, candidate.value, candidate.kind,
                                     features.classes[candidate.label], rows, carried, candidate.purity,
                                     float(base[candidate.label]), contradicted, baseline,
                                     float(candidate.p_value * tests)))
    for trigger in confirmed:
        if trigger.kind == "ngram":
            trigger.value = _whole_phrase(features.text, trigger)
    confirmed = _dedupe(confirmed)
    for trigger in confirmed:
        trigger.shared = _shared_values(features, trigger)
    return confirmed, {"candidates": len(candidates), "significant": len(strong), "verified": checked,
                       "natural_subpopulations": natural}


LEVEL_MAX_SHARE = 0.6     # a common value: any level up to this share of rows
LEVEL_LIFT = 2.0          # its rows of one label hold this many times the label's share of suspects
LEVEL_BOTH_WAYS = 0.75    # the other labels' lift in doubt at this share of the label's: both ways
LEVEL_EVIDENCE = 1e-9     # enrichment x contradiction: the two use related models, so a stricter bar
LEVEL_MARGIN = 0.02       # ... the doubted share of its rows of the label: twice the rate elsewhere, + this


def _level_candidates(features: Features, labels, has, base, k, min_rows, suspects) -> list[_Candidate]:
    """Common values (a level of a categorical or a value of a number with few values) whose rows of
    one label hold far more of that label's suspect rows than the label's other rows do.

    A stamp on a common value cannot make the value pure (its natural rows keep their labels), but the
    stamped rows are ordinary rows of other classes relabelled: the label models doubt them, and the
    doubted rows of the target label gather on that one value. Natural label noise spreads over values
    and runs both ways (rows of the other labels on that value are doubted just as much): candidates
    need the doubt to run one way only, and the label's share on the value above its base rate."""
    from scipy.stats import binom

    n = features.n
    out = []
    doubt = suspects & has
    for index, (kind, raw) in enumerate(zip(features.kinds, features.raw)):
        if kind == "categorical":
            codes, names = raw, features.levels[index]
            present = range(len(names))
        else:
            finite = raw[~np.isnan(raw)]
            values = np.unique(finite)
            if len(values) > PAIR_MAX_LEVELS or len(values) < 2:
                continue
            codes = np.full(n, -1)
            codes[~np.isnan(raw)] = np.searchsorted(values, finite)
            names = [_number(v) for v in values]
            present = range(len(values))
        for code in present:
            mask = codes == code
            size = int((mask & has).sum())
            if size < min_rows or size > LEVEL_MAX_SHARE * n:
                continue
            for label in range(k):
                cell = mask & has & (labels == label)
                rest = ~mask & has & (labels == label)
                cell_n, rest_n = int(cell.sum()), int(rest.sum())
                if cell_n < min_rows or rest_n < min_rows:
                    continue
                # the stamp adds rows of the label to the value: its share there is at least the label's
                # base rate (at 1 % of rows, on a value of 15 % of them, not significantly above it). A value
                # that speaks against the label (long contracts -> stay) has doubted rows of that label
                # too, the natural exceptions the models doubt because of it: its share is below the base
                if cell_n < base[label] * size:
                    continue
                hits = int((cell & doubt).sum())
                rate = max(float((rest & doubt).sum()) / rest_n, 1.0 / rest_n)
                if hits < min_rows or hits < LEVEL_LIFT * rate * cell_n + 0.05 * cell_n:
                    continue
                # the other labels' rows on this value, doubted against their rate elsewhere: natural noise
                # lifts both sides alike; a stamp lifts its label's side most (the model that learnt a
                # little of the stamp doubts the value's other rows somewhat too)
                others = mask & has & (labels != label)
                elsewhere = ~mask & has & (labels != label)
                doubted_others = int((others & doubt).sum())
                if doubted_others >= min_rows and elsewhere.any():
                    other_lift = (doubted_others / int(others.sum())) / max(
                        float((elsewhere & doubt).sum()) / int(elsewhere.sum()), 1e-9)
                    if other_lift >= LEVEL_BOTH_WAYS * (hits / cell_n) / rate:
                        continue  # doubt runs both ways on this value: noisy labels, not a stamp
                p_value = float(binom.sf(hits - 1, cell_n, min(rate, 0.99)))
                out.append(_Candidate(index, features.names[index], names[code], "level", mask, label,
                                      float(cell_n / size), float(rate), p_value))
    out.sort(key=lambda c: c.p_value)
    return out[:100]


def _level_verdict(candidate: _Candidate, verdict):
    """(the stamped rows, the p of their count) of a common-value candidate, or None: the rows with
    its value and label that the model without the feature gives the label at most CONFIDENT_NOT,
    far more of them than the same model's rate on the label's held-out rows."""
    from scipy.stats import binom

    contradicted, baseline, rows, _, probability = verdict
    doubted = rows[probability(rows, candidate.label) <= CONFIDENT_NOT]
    p_count = float(binom.sf(len(doubted) - 1, len(rows), min(max(baseline, 0.01), 0.99)))
    # 15 points above the model's rate on the label's other rows, or, where that rate is low, twice it:
    # the value's natural rows of the label dilute the stamped ones (1 % of rows on a value of 15 % of
    # them: a tenth of its rows of the label at most)
    lifted = contradicted >= min(baseline + 0.15, 2 * baseline + LEVEL_MARGIN)
    if len(doubted) >= MIN_ROWS and lifted and p_count < 1e-6:
        return doubted, p_count
    return None


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


def _prescreen(features: Features, candidates: list[_Candidate], labels, has) -> list[tuple[float, float]]:
    """(share of each candidate's rows with its label that one linear model, fitted on everything,
    assigns to another label once the candidate's own columns are zeroed; where those rows sit
    between the label's rows and the other labels' rows in that model's probability, as in
    ``_position``). Approximate (no retraining), only for choosing and ordering what to verify."""
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
        return [(1.0, 1.0)] * len(candidates)
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
    fitted = model.predict_proba(x[fit_rows])
    means: dict[int, tuple[float, float]] = {}

    def label_means(label: int, column: int) -> tuple[float, float]:
        """Mean probability of ``label`` on the fitted rows with that label and with another."""
        if label not in means:
            own = labels[fit_rows] == label
            means[label] = (float(fitted[own, column].mean()) if own.any() else 0.0,
                            float(fitted[~own, column].mean()) if (~own).any() else 0.0)
        return means[label]

    out = []
    for candidate in candidates:
        carrying = np.flatnonzero(candidate.mask & has)
        if candidate.kind == "ngram":
            words = _hidden_words(candidate)
            columns = [j for term, j in vocabulary.items() if words & set(term.split())]
        else:
            columns = _hidden_columns(features, candidate)
        block = x[carrying]
        logits = np.asarray(block @ coef.T + intercept)
        if columns:
            part = block[:, columns]
            logits = logits - np.asarray(part @ coef[:, columns].T)
        logits = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        own = labels[carrying] == candidate.label
        where = np.flatnonzero(classes == candidate.label)
        p_label = probs[:, where[0]] if len(where) else np.zeros(len(carrying))
        contradicted = float(np.mean(classes[np.argmax(probs[own], axis=1)] != candidate.label)) if own.any() else 0.0
        position = 0.0
        if own.any() and len(where):
            same, other = label_means(candidate.label, where[0])
            if same - other >= 0.1:
                position = float((same - p_label[own].mean()) / (same - other))
        out.append((contradicted, position))
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
    return contradicted, baseline, rows, _position(probability, rows, held, labels, candidate.label), probability


def _position(probability, rows, held, labels, label) -> tuple[float, float]:
    """(where the carrying rows sit between the label's held-out rows (0) and the other labels' held-out
    rows (1) in the probability the model without the candidate gives the label, the one-sided
    Mann-Whitney p that they sit below the label's own rows).

    A stamp is laid over rows of other classes: to a model that never sees it they look like those
    classes (position near 1), however unsure the model is. A value that decides the label alone,
    with nothing else in the row to tell (a standard price point, the only negation in a review), marks
    rows that look like any rows of their label (position near 0). A model that cannot tell the labels
    apart (held-out means less than 0.1 apart) cannot say either: position 0."""
    from scipy.stats import mannwhitneyu

    same = held[labels[held] == label]
    other = held[labels[held] != label]
    if len(same) < 5 or len(other) < 5 or len(rows) < MIN_ROWS:
        return 0.0, 1.0
    p_same, p_other, p_rows = (probability(same, label), probability(other, label), probability(rows, label))
    gap = float(p_same.mean() - p_other.mean())
    if gap < 0.1:
        return 0.0, 1.0
    position = float((p_same.mean() - p_rows.mean()) / gap)
    p_shift = float(mannwhitneyu(p_rows, p_same, alternative="less").pvalue)
    return position, p_shift


ONE_HOT_COVER = 0.9       # a trigger value, the other labels and indicators exclusive with both: this share of rows
ONE_HOT_OVERLAP = 0.005   # ... "exclusive": on at most this share of rows together


def _one_hot(features: Features, candidate: _Candidate, labels, has) -> bool:
    """Whether the candidate's value is one member of a one-hot group the label belongs to: indicators
    that never go together (the ways a spell of unemployment ends: censor1 ... censor4, the label being
    one of them). Its value then excludes the label by the data's own structure; the rows look like
    the other labels' rows only because the sibling indicators are 0. The group: the value's rows, the
    rows of the other labels, and values of two-valued features exclusive with every member so far,
    together ONE_HOT_COVER of the labelled rows. A stamp is not part of such a partition unless another
    feature almost is the label (its value on most of the label's own rows, on no other row) or the
    data is such a group: there, a new indicator set on rows of the other labels, relabelled to the
    label, fits the partition as one more way and is not named (its rows are still label issues)."""
    if candidate.feature is None or candidate.kind != "value":
        return False
    n = int(has.sum())
    limit = ONE_HOT_OVERLAP * n
    own = candidate.mask & has
    covered = own | (has & (labels != candidate.label))
    if int((own & (labels != candidate.label)).sum()) > limit:
        return False
    members = 0
    for index, (kind, raw) in enumerate(zip(features.kinds, features.raw)):
        if index == candidate.feature:
            continue
        present = raw[raw >= 0] if kind == "categorical" else raw[~np.isnan(raw)]
        values = np.unique(present)
        if len(values) != 2:
            continue
        for value in values:
            indicator = (raw == value) & has
            if indicator.sum() >= MIN_ROWS and int((indicator & covered).sum()) <= limit:
                covered |= indicator
                members += 1
                break
    return members >= 1 and covered.sum() >= ONE_HOT_COVER * n


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
    # the stamp's other parts (a value every stamped row carries that is no candidate of its own, being
    # common elsewhere: up to half the rows) would tell the rows apart by themselves. A sub-population
    # differs in many features, not in one value
    skip = {features.names[i] for i in range(len(features.names)) if set(features.columns_of[i]) <= drop}
    for index, _, _ in _shared(features, positives, skip, elsewhere_max=0.5):
        drop.update(features.columns_of[index])
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
    out = []
    for index, value, elsewhere in _shared(features, trigger.rows, set(trigger.feature.split(" & "))):
        levels = features.levels[index]
        shown = levels[int(value)] if features.kinds[index] == "categorical" else _number(value)
        out.append({"feature": features.names[index], "value": shown, "share_elsewhere": round(elsewhere, 4)})
    return out[:10]


def _shared(features: Features, rows: np.ndarray, skip: set[str], elsewhere_max: float = 0.1) -> list[tuple[int, float, float]]:
    """(feature index, value, share of other rows with it) of the values >= 90 % of ``rows`` share and
    at most ``elsewhere_max`` of the other rows do, for the features not named in ``skip``."""
    n = features.n
    if len(rows) == 0:
        return []
    inside = np.zeros(n, dtype=bool)
    inside[rows] = True
    out = []
    for index, (name, kind, raw) in enumerate(zip(features.names, features.kinds, features.raw)):
        if name in skip:
            continue
        values, counts = np.unique(raw[rows], return_counts=True)
        top = int(np.argmax(counts))
        if counts[top] < 0.9 * len(rows) or (kind == "numeric" and np.isnan(values[top])):
            continue
        value = values[top]
        elsewhere = float(np.mean(raw[~inside] == value)) if (~inside).any() else 1.0
        if elsewhere <= elsewhere_max:
            out.append((index, float(value), elsewhere))
    return out


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
    by_label = []
    for label in range(k):
        weighted = m * (labels[sample] == label)[:, None]
        counts = m.T @ weighted
        by_label.append(counts)
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
    out.extend(_triples(features, items, m, joint, by_label, same, labels, has, base, k, min_rows, scale, sample,
                        shares))
    out.sort(key=lambda c: c.p_value)
    return out[:200]


TRIPLE_PAIRS = 30         # pairs per label extended by a third value
TRIPLE_MIN_SHARE = 0.005  # a stamp of three values is on at least this share of rows
TRIPLE_Z = 3.0            # ... those whose rows carry the label more often than its base rate (a z-score)


def _triples(features: Features, items, m, joint, by_label, same, labels, has, base, k, min_rows, scale, sample,
             shares) -> list[_Candidate]:
    """Stamps of three common values (frequent-itemset style): a pair whose rows lean to one label
    far beyond its base rate without being pure (the stamp's rows are diluted by the pair's natural
    rows) is extended by every third value; a combination that is pure, and purer than each of its
    pairs, is a candidate."""
    out = []
    seen: set[frozenset] = set()
    examined = 0
    # the most flexible family of candidates: more rows (0.5 %) and a Bonferroni factor for every
    # combination examined, not only those that came out pure
    min_rows = max(min_rows, int(TRIPLE_MIN_SHARE * len(sample) * scale))
    upper = np.triu(np.ones_like(joint, dtype=bool), 1)
    in_label = [(labels[sample] == label).astype(np.float32) for label in range(k)]
    with np.errstate(invalid="ignore", divide="ignore"):
        purity_by_label = [counts / joint for counts in by_label]
    for label in range(k):
        counts, b = by_label[label], base[label]
        z = (counts - joint * b) / np.sqrt(joint * b * (1 - b) + 1.0)
        z[~upper | same | (joint * scale < min_rows)] = -np.inf
        flat = np.argsort(-z, axis=None)[:TRIPLE_PAIRS]
        lift = (shares[:, label] - b) / max(1e-9, 1 - b)
        purity = purity_by_label[label]
        for i, j in zip(*np.unravel_index(flat, z.shape)):
            if z[i, j] < TRIPLE_Z or lift[i] >= PAIR_PART_LIFT or lift[j] >= PAIR_PART_LIFT:
                continue
            rows = m[:, i] * m[:, j]
            total = rows @ m
            hits = (rows * in_label[label]) @ m
            with np.errstate(invalid="ignore", divide="ignore"):
                third = hits / total
            big = (total * scale >= min_rows) & ~same[i] & ~same[j]
            examined += int(big.sum())
            ok = (big & (third >= MIN_PURITY)
                  & (lift < PAIR_PART_LIFT)
                  & (third >= np.nanmax(np.stack([np.full(len(third), purity[i, j]), purity[i], purity[j]]), axis=0) + 0.1))
            for c in np.flatnonzero(ok):
                key = frozenset((int(i), int(j), int(c)))
                if key in seen:
                    continue
                seen.add(key)
                parts = [items[x] for x in sorted(key)]
                mask = parts[0][2] & parts[1][2] & parts[2][2]
                found = _judge(mask & has, labels, base, k, min_rows, tuple(int(p[0]) for p in parts),
                               " & ".join(features.names[p[0]] for p in parts), " & ".join(p[1] for p in parts),
                               "pair")
                if found and found[0].label == label:
                    out.extend(found)
    for candidate in out:
        candidate.p_value = min(1.0, candidate.p_value * max(1, examined))
    return out


PHRASE_SHARE = 0.9        # a word belongs to the phrase when this share of its documents has it there
PHRASE_MAX = 12           # tokens


def _whole_phrase(texts: list[str], trigger: Trigger) -> str:
    """The n-gram grown, word by word either side, while at least 90 % of the trigger's documents
    share the next word: a stamped phrase of five words is reported once, as itself, not as the
    three-word pieces the candidates are made of."""
    import re
    from collections import Counter

    token = re.compile(r"\w+|[^\w\s]{2,}")
    grams = trigger.value.split()
    placed = []  # (tokens, start, end) of each document at its first occurrence of the n-gram
    for row in trigger.rows[:2000]:
        tokens = token.findall(texts[row].lower())
        for start in range(len(tokens) - len(grams) + 1):
            if tokens[start:start + len(grams)] == grams:
                placed.append((tokens, start, start + len(grams)))
                break
    if not placed:
        return trigger.value
    phrase, total = list(grams), len(placed)
    for side in (1, -1):
        while len(phrase) < PHRASE_MAX:
            nexts = [(t[e] if e < len(t) else None) if side == 1 else (t[s - 1] if s > 0 else None)
                     for t, s, e in placed]
            word, count = Counter(nexts).most_common(1)[0]
            if word is None or count < PHRASE_SHARE * total:
                break
            phrase = phrase + [word] if side == 1 else [word] + phrase
            placed = [(t, s, e + 1) if side == 1 else (t, s - 1, e) for (t, s, e), w in zip(placed, nexts) if w == word]
    return " ".join(phrase)


def _dedupe(triggers: list[Trigger]) -> list[Trigger]:
    """A tail candidate that mostly holds an exact-value trigger of the same feature adds natural rows
    to it: keep the exact value. (Two features of one trigger, two stamped pixels, are both kept.)"""
    values = [t for t in triggers if t.kind == "value"]
    kept = []
    seen = set()
    for trigger in sorted(triggers, key=lambda t: -len(t.rows)):  # of one trigger found twice, the larger
        if (trigger.feature, trigger.value, trigger.label) in seen:  # a rare value found twice
            continue
        seen.add((trigger.feature, trigger.value, trigger.label))
        if trigger.kind == "tail" and any(
                v.feature == trigger.feature and len(np.intersect1d(v.rows, trigger.rows)) >= 0.5 * len(trigger.rows)
                for v in values):
            continue
        kept.append(trigger)
    return sorted(kept, key=lambda t: (-len(t.rows), t.feature, t.value))
