"""Text columns: TF-IDF over a vocabulary chosen on the training rows, as dense float columns.

Choice of output: dense ``'<col>__tfidf__<term>'`` float64 columns. The learner contract
(``learners/base.py``) hands every learner a DataFrame whose columns are floats or categoricals, so
a dense block keeps one code path for every learner; the cost is memory (rows x terms x 8 bytes),
which ``max_features`` bounds. Lower it for large tables.

Fitting (training rows only): documents are lower-cased and tokenised with scikit-learn's default
word pattern (two or more word characters). The ``max_features`` terms with the highest document
frequency are kept (ties broken alphabetically, so the choice is deterministic); columns are in
alphabetical term order. The idf is scikit-learn's smoothed one, ``ln((1 + n) / (1 + df)) + 1``.

Transform: term counts over the fixed vocabulary (``CountVectorizer(vocabulary=...)``), times idf,
rows scaled to unit L2 norm. The same code runs after ``fit`` and after a reload from the saved
vocabulary (JSON) and idf (``.npz``), so the output is bit-identical. Missing text is the empty
string; an all-empty row encodes as all zeros. With no term at all in training the block is empty.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.preprocessing import normalize

from modelyard.errors import DataError, SpecError
from modelyard.features.base import ColumnEncoder


def to_documents(values: pd.Series) -> list[str]:
    """The column as a list of strings; missing values become ''."""
    return [
        "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
        for v in values.to_numpy(dtype=object, na_value=None)
    ]


class TextEncoder(ColumnEncoder):
    """TF-IDF for one free-text column, with a vocabulary of at most ``max_features`` terms."""

    kind = "text"

    def __init__(self, column: str, max_features: int = 5000) -> None:
        super().__init__(column)
        self.max_features = max_features

    def get_params(self) -> dict[str, Any]:
        return {"column": self.column, "max_features": int(self.max_features)}

    def fit(self, values: pd.Series, y: np.ndarray | None = None, task: str | None = None):
        """Choose the vocabulary and compute the idf from the training documents."""
        if not isinstance(self.max_features, int) or self.max_features < 1:
            raise SpecError(
                f"text max_features must be a positive integer, got {self.max_features!r}",
                hint="pass text_max_features=5000 (or smaller for large tables)",
            )
        docs = to_documents(values)
        counter = CountVectorizer(lowercase=True)
        try:
            counts = counter.fit_transform(docs)
        except ValueError:  # every document is empty or has no token: nothing to learn
            self.vocabulary_, self.idf_ = [], np.zeros(0, dtype=np.float64)
            self.names_out_ = []
            return self
        terms = counter.get_feature_names_out().tolist()
        doc_freq = np.asarray((counts > 0).sum(axis=0)).ravel()
        ranked = sorted(range(len(terms)), key=lambda i: (-int(doc_freq[i]), terms[i]))
        keep = sorted(ranked[: self.max_features], key=lambda i: terms[i])
        n_docs = len(docs)
        self.vocabulary_ = [terms[i] for i in keep]
        self.idf_ = np.log((1.0 + n_docs) / (1.0 + doc_freq[keep].astype(np.float64))) + 1.0
        self.names_out_ = [f"{self.column}__tfidf__{term}" for term in self.vocabulary_]
        return self

    def transform(self, values: pd.Series) -> pd.DataFrame:
        """TF-IDF rows over the training vocabulary, L2-normalised, as a dense block."""
        self.check_fitted()
        if not self.vocabulary_ or len(values) == 0:  # (normalize rejects an empty matrix)
            return self.frame(np.zeros((len(values), len(self.vocabulary_))), values.index)
        counter = CountVectorizer(lowercase=True, vocabulary=self.vocabulary_, dtype=np.float64)
        counts = counter.transform(to_documents(values))
        weighted = normalize(counts.multiply(self.idf_[None, :]).tocsr(), norm="l2", copy=False)
        return self.frame(weighted.toarray(), values.index)

    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self.check_fitted()
        return {"vocabulary": list(self.vocabulary_)}, {"idf": np.asarray(self.idf_, np.float64)}

    def set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.vocabulary_ = list(state["vocabulary"])
        self.idf_ = np.asarray(arrays["idf"], dtype=np.float64)
        if len(self.idf_) != len(self.vocabulary_):
            raise DataError(
                f"saved text state for '{self.column}' is inconsistent: "
                f"{len(self.vocabulary_)} terms but {len(self.idf_)} idf values",
                hint="the artifact is damaged; refit the preprocessing",
            )
        self.names_out_ = [f"{self.column}__tfidf__{term}" for term in self.vocabulary_]
