"""From a table to what the detectors need: labels as codes, a numeric feature matrix, text features.

Numeric and boolean columns are features; string columns with few distinct values are categorical
(one-hot); identifier-like columns (all values distinct) and free text not named as the text column
are left out, and the facts say so. Nothing here is fitted to labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...errors import GateError

MAX_LEVELS = 30          # one-hot columns per categorical feature (the rest are "other")
MAX_CATEGORICAL = 200    # more distinct strings than this (and > 5 % of rows): text or an identifier
SVD_COMPONENTS = 64


class NotAnalysable(GateError):
    """The table has nothing the detectors can use (the data itself may be fine)."""


@dataclass
class Features:
    """Model inputs for one table."""

    n: int
    names: list[str]                 # one per original feature column used
    kinds: list[str]                 # "numeric" | "categorical"
    raw: list[np.ndarray]            # per feature: float values (NaN missing) or category codes (-1 missing)
    levels: list[list[str] | None]   # categorical level names
    matrix: np.ndarray               # dense float64 model matrix (numeric imputed + one-hot), unscaled
    columns_of: list[list[int]]      # matrix columns of each feature
    labels: np.ndarray | None        # class codes, -1 where the label is missing
    classes: list[str]
    text: list[str] | None = None
    text_name: str | None = None
    notes: list[str] = field(default_factory=list)
    _scaled: np.ndarray | None = None
    _tfidf: object = None
    vocabulary: dict | None = None
    _embedding: np.ndarray | None = None

    @property
    def scaled(self) -> np.ndarray:
        """The model matrix standardized with robust scale (median / IQR, falling back to std)."""
        if self._scaled is None:
            m = self.matrix
            if m.shape[1] == 0:
                self._scaled = m
            else:
                center = np.median(m, axis=0)
                q75, q25 = np.percentile(m, [75, 25], axis=0)
                scale = q75 - q25
                std = m.std(axis=0)
                scale = np.where(scale > 0, scale / 1.349, std)
                scale[scale == 0] = 1.0
                self._scaled = (m - center) / scale
        return self._scaled

    @property
    def tfidf(self):
        """Sparse TF-IDF of the text column (word 1-2 grams), or None."""
        if self._tfidf is None and self.text is not None:
            from sklearn.feature_extraction.text import TfidfVectorizer

            vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2, max_features=200_000,
                                         dtype=np.float32)
            try:
                self._tfidf = vectorizer.fit_transform(self.text)
                self.vocabulary = vectorizer.vocabulary_
            except ValueError:  # empty vocabulary
                vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=1, dtype=np.float32,
                                             token_pattern=r"(?u)\S+")
                try:
                    self._tfidf = vectorizer.fit_transform(self.text)
                    self.vocabulary = vectorizer.vocabulary_
                except ValueError:
                    raise GateError(f"text column '{self.text_name}' holds no words") from None
        return self._tfidf

    @property
    def embedding(self) -> np.ndarray:
        """Dense representation: TruncatedSVD of the TF-IDF (text) beside the scaled features."""
        if self._embedding is None:
            parts = []
            if self.text is not None:
                from sklearn.decomposition import TruncatedSVD

                tfidf = self.tfidf
                k = max(1, min(SVD_COMPONENTS, tfidf.shape[1] - 1, self.n - 1))
                if k >= 2:
                    svd = TruncatedSVD(n_components=k, random_state=0, algorithm="randomized", n_iter=4)
                    dense = svd.fit_transform(tfidf)
                    dense /= max(float(np.median(np.abs(dense))), 1e-9) * 10
                    parts.append(dense)
                else:
                    parts.append(np.asarray(tfidf.todense()))
            if self.matrix.shape[1]:
                parts.append(np.clip(self.scaled, -50, 50))
            self._embedding = np.hstack(parts) if parts else np.zeros((self.n, 0))
        return self._embedding


def build_features(frame, label: str | None, text: str | None = None,
                   features: tuple[str, ...] | list[str] = (), source: str | None = None) -> Features:
    """Features of a DataFrame. Unknown column names raise GateError naming ``source``."""
    import pandas as pd

    columns = [str(c) for c in frame.columns]
    frame = frame.set_axis(columns, axis=1)
    for name, role in ((label, "label"), (text, "text")):
        if name is not None and name not in columns:
            raise GateError(f"{role} column '{name}' not found (columns: {', '.join(columns[:20])})", source)
    missing = [f for f in features if f not in columns]
    if missing:
        raise GateError(f"feature column '{missing[0]}' not found", source)
    n = len(frame)
    notes: list[str] = []
    labels, classes = None, []
    if label is not None:
        series = frame[label]
        present = series.notna()
        as_text = series.astype(str).where(present)
        codes, uniques = pd.factorize(as_text, sort=True)
        labels = codes.astype(np.int64)
        classes = [str(u) for u in uniques]
        if (~present).any():
            notes.append(f"{int((~present).sum())} rows without a label: not judged for label issues")
    chosen = list(features) if features else [c for c in columns if c not in (label, text)]
    names, kinds, raws, levels, blocks, columns_of = [], [], [], [], [], []
    width = 0
    for name in chosen:
        series = frame[name]
        kind = _kind(series, n)
        if kind == "numeric":
            values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            finite = np.isfinite(values)
            values = np.where(finite, values, np.nan)
            if not finite.any():
                notes.append(f"column '{name}': no numeric values, not used")
                continue
            if not features and _identifier(values, n):
                notes.append(f"column '{name}': a distinct integer per row (an identifier), not used")
                continue
            filled = np.where(np.isnan(values), np.nanmedian(values), values)
            raws.append(values)
            levels.append(None)
            blocks.append(filled[:, None])
            columns_of.append([width])
            width += 1
        elif kind == "categorical":
            codes, uniques = pd.factorize(series.astype(str).where(series.notna()), sort=False)
            counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
            order = np.argsort(-counts, kind="stable")[:MAX_LEVELS]
            onehot = np.zeros((n, len(order)), dtype=np.float64)
            for j, code in enumerate(order):
                onehot[codes == code, j] = 1.0
            raws.append(codes.astype(np.int64))
            levels.append([str(u) for u in uniques])
            blocks.append(onehot)
            columns_of.append(list(range(width, width + len(order))))
            width += len(order)
        else:
            notes.append(f"column '{name}': free text or an identifier, not used as a feature"
                         + ("" if text else " (name it as the text column to use it)"))
            continue
        names.append(name)
        kinds.append(kind)
    matrix = np.hstack(blocks) if blocks else np.zeros((n, 0))
    docs = None
    if text is not None:
        docs = frame[text].astype(str).where(frame[text].notna(), "").tolist()
    if not names and docs is None:
        raise NotAnalysable("no usable feature columns (numeric, boolean or categorical) and no text column", source)
    return Features(n=n, names=names, kinds=kinds, raw=raws, levels=levels, matrix=matrix,
                    columns_of=columns_of, labels=labels, classes=classes, text=docs, text_name=text, notes=notes)


def _kind(series, n: int) -> str:
    import pandas as pd

    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
        return "numeric"
    non_null = series.dropna()
    if len(non_null) == 0:
        return "skip"
    sample = non_null.head(50_000).astype(str)
    numeric = pd.to_numeric(sample, errors="coerce")
    if numeric.notna().mean() > 0.98:
        return "numeric"
    distinct = sample.nunique()
    if distinct <= MAX_CATEGORICAL or distinct <= 0.05 * len(sample):
        if distinct <= max(2, 0.5 * len(sample)) or distinct <= 20:
            return "categorical"
    return "skip"


def _identifier(values: np.ndarray, n: int) -> bool:
    if n < 50 or np.isnan(values).any():
        return False
    if not np.all(np.floor(values) == values):
        return False
    return len(np.unique(values)) == n
