"""Categorical columns: one-hot, native pandas categories, frequency or target encoding.

Values are compared as canonical strings: surrounding spaces are stripped, integral numbers are
written without a decimal point (``20``, ``20.0`` and ``'20'`` are the same category), booleans are
``'True'``/``'False'``; NaN, None and the empty string are missing. Training categories are the
sorted distinct canonical strings of the training rows (``categories_``).

The strategy (``strategy_``) is chosen at fit from the number of training categories:

* ``input_kind='dense'``: at most ``max_onehot`` categories -> ``'onehot'``: one ``'<col>=<value>'``
  column per category, plus ``'<col>=__missing__'`` if training had missing values; a missing or
  unseen value is all zeros (apart from the missing indicator). More categories -> the
  ``high_cardinality`` strategy.
* ``input_kind='categorical'``: at most ``MAX_NATIVE_CATEGORIES`` -> ``'native'``: a ``'<col>'``
  column of pandas ``category`` dtype with the training categories (sorted); unseen and missing are
  NaN. LightGBM, XGBoost and the MLP's embeddings read it natively. More -> ``high_cardinality``.
* ``'frequency'``: ``'<col>__freq'``, the fraction of training rows with that value (missing values
  get the fraction of missing training rows); unseen -> 0.
* ``'target'``: smoothed mean target (``target.py``): ``'<col>__te'``, or ``'<col>__te__<class>'``
  per class for multiclass; unseen -> the prior. ``fit_transform`` returns out-of-fold encodings.

``frequencies_`` (one per category, then one for missing) is learnt whatever the strategy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from modelyard.errors import SpecError
from modelyard.features import target as te
from modelyard.features.base import ColumnEncoder, floats

MAX_NATIVE_CATEGORIES = 1000  # above this, even native-categorical learners get a float encoding
HIGH_CARDINALITY = ("frequency", "target")
INPUT_KINDS = ("dense", "categorical")
MISSING_LABEL = "__missing__"
SMALL_BATCH = 256  # up to this many rows, codes come from a dict; above, from a pandas hash index


def _canon(value: Any) -> str | None:
    """The canonical string of one value, or None when it is missing."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return None
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value).strip() or None


def canonical(values: pd.Series) -> np.ndarray:
    """An object array of canonical category strings, None where missing."""
    factored = _factorized(values)
    if factored is not None:  # each distinct text once, then every row by its code
        codes, uniques = factored
        return np.array([_canon(u) for u in uniques] + [None], dtype=object)[codes]
    raw = values.to_numpy(dtype=object, na_value=None)
    return np.array([_canon(v) for v in raw], dtype=object)


def _factorized(values: pd.Series) -> tuple[np.ndarray, list[str]] | None:
    """(code per row, distinct texts) of a large text column (missing: code -1, which indexes
    the None after the texts); None for short or non-text columns (per-value canonicalisation
    is as fast there, and mixed objects such as 1 and True must not be merged by equality).
    Only text dtypes qualify, whose values are str or missing, so ``_canon`` of each distinct
    text is exactly what every row holding it gets."""
    if len(values) <= SMALL_BATCH or not isinstance(values.dtype, pd.StringDtype):
        return None
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), list(uniques)


def _codes(categories: list[str], canon: np.ndarray) -> np.ndarray:
    """Category index per row: 0..n-1 for the n categories, n for missing, -1 for unseen."""
    codes = pd.Index(categories, dtype=object).get_indexer(canon).astype(np.int64)
    codes[np.array([v is None for v in canon], dtype=bool)] = len(categories)
    return codes


class CategoricalEncoder(ColumnEncoder):
    """Encode one categorical column; the strategy depends on input_kind and cardinality."""

    kind = "categorical"

    def __init__(
        self,
        column: str,
        input_kind: str = "dense",
        max_onehot: int = 20,
        high_cardinality: str = "frequency",
        seed: int = 0,
    ) -> None:
        super().__init__(column)
        self.input_kind = input_kind
        self.max_onehot = max_onehot
        self.high_cardinality = high_cardinality
        self.seed = seed

    def get_params(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "input_kind": self.input_kind,
            "max_onehot": int(self.max_onehot),
            "high_cardinality": self.high_cardinality,
            "seed": int(self.seed),
        }

    # -- fit ------------------------------------------------------------------------------------
    def fit(self, values: pd.Series, y: Any = None, task: str | None = None):
        """Learn categories and frequencies, pick the strategy, fit target means if needed."""
        self._check_params()
        canon = canonical(values)
        missing = np.array([v is None for v in canon], dtype=bool)
        categories = sorted(set(canon[~missing].tolist()))
        n_cat = len(categories)
        if self.input_kind == "dense":
            strategy = "onehot" if n_cat <= self.max_onehot else self.high_cardinality
        else:
            strategy = "native" if n_cat <= MAX_NATIVE_CATEGORIES else self.high_cardinality
        codes = _codes(categories, canon)
        counts = np.bincount(codes, minlength=n_cat + 1).astype(np.float64)
        table, prior, labels = np.zeros((0, 0)), np.zeros(0), []
        if strategy == "target":
            Y, labels, _ = te.target_matrix(y, task, len(codes))
            table, prior = te.smoothed_means(codes, Y, n_cat + 1)
        # everything that can fail has run: set the fitted state in one go
        self.categories_, self.has_missing_, self.strategy_ = (
            categories,
            bool(missing.any()),
            strategy,
        )
        self.frequencies_ = counts / max(len(codes), 1)
        self.table_, self.prior_, self.target_labels_ = table, prior, labels
        self.names_out_ = self._names()
        return self

    def fit_transform(
        self, values: pd.Series, y: Any = None, task: str | None = None
    ) -> pd.DataFrame:
        """Fit; for target encoding return out-of-fold encodings of these (training) rows."""
        self.fit(values, y, task)
        if self.strategy_ != "target":
            return self.transform(values)
        codes = _codes(self.categories_, canonical(values))
        Y, _, _ = te.target_matrix(y, task, len(codes))
        block = te.out_of_fold(codes, Y, len(self.categories_) + 1, self.seed)
        return self.frame(block, values.index)

    def _check_params(self) -> None:
        checks = [
            ("input_kind", self.input_kind, INPUT_KINDS),
            ("high_cardinality", self.high_cardinality, HIGH_CARDINALITY),
        ]
        for name, value, valid in checks:
            if value not in valid:
                raise SpecError(
                    f"{name} must be one of {', '.join(map(repr, valid))}, got {value!r}",
                    hint=f"pass {name}={valid[0]!r}",
                )
        if (
            isinstance(self.max_onehot, bool)
            or not isinstance(self.max_onehot, int)
            or self.max_onehot < 0
        ):
            raise SpecError(
                f"max_onehot must be a non-negative integer, got {self.max_onehot!r}",
                hint="pass max_onehot=20 (0 sends every categorical column to high_cardinality)",
            )

    def _names(self) -> list[str]:
        col = self.column
        if self.strategy_ == "onehot":
            names = [f"{col}={c}" for c in self.categories_]
            return names + ([f"{col}={MISSING_LABEL}"] if self.has_missing_ else [])
        if self.strategy_ == "native":
            return [col]
        if self.strategy_ == "frequency":
            return [f"{col}__freq"]
        labels = self.target_labels_
        return [f"{col}__te"] if labels == [""] else [f"{col}__te__{lab}" for lab in labels]

    # -- transform ------------------------------------------------------------------------------
    def transform(self, values: pd.Series) -> pd.DataFrame:
        """Encode with the training categories; unseen and missing values as documented above."""
        self.check_fitted()
        encoded = self.encode(values)
        if self.strategy_ == "native":
            return pd.DataFrame({self.column: encoded}, index=values.index)
        return self.frame(encoded, values.index)

    def encode(self, values: pd.Series) -> np.ndarray | pd.Categorical:
        """The float block (rows x ``names_out_``) of ``values``; the categorical for 'native'."""
        codes = self.codes(values)
        n_cat = len(self.categories_)
        if self.strategy_ == "native":
            native = np.where(codes < n_cat, codes, -1)
            return pd.Categorical.from_codes(native, dtype=self.dtype_)
        if self.strategy_ == "onehot":
            width = n_cat + int(self.has_missing_)
            block = np.zeros((len(codes), width), dtype=np.float64)
            seen = (codes >= 0) & (codes < width)
            block[np.flatnonzero(seen), codes[seen]] = 1.0
            return block
        if self.strategy_ == "frequency":
            freq = np.where(codes >= 0, self.frequencies_[np.maximum(codes, 0)], 0.0)
            return freq[:, None]
        return te.encode(codes, self.table_, self.prior_)

    def codes(self, values: pd.Series) -> np.ndarray:
        """Category index per row, as ``_codes`` (n for missing, -1 for unseen).

        Up to ``SMALL_BATCH`` rows the codes come from a dict built once: the same mapping as the
        pandas index ``_codes`` builds on every call (canonical values are str or None, and
        categories are unique strings), at a fraction of the cost for one row. A larger text
        column looks each distinct text up once in that dict (``_factorized``): on 105,645 Telco
        rows, encoding fell from 0.83 s to a few hundredths, and predict_frame of a LightGBM
        model went from about 97,000 to 112,000 rows/s on this 2-core machine.
        """
        lookup = self._lookup()
        n_cat = len(self.categories_)
        factored = _factorized(values) if lookup is not None else None
        if factored is not None:  # a large text column: look up each distinct text once
            codes, uniques = factored
            canon = [_canon(u) for u in uniques]
            table = [n_cat if v is None else lookup.get(v, -1) for v in canon] + [n_cat]
            return np.asarray(table, dtype=np.int64)[codes]
        canon = canonical(values)
        if lookup is None or len(canon) > SMALL_BATCH:
            return _codes(self.categories_, canon)
        return np.array([n_cat if v is None else lookup.get(v, -1) for v in canon], np.int64)

    def _lookup(self) -> dict[str, int] | None:
        """Category -> index, built once per ``categories_`` list (fit and ``set_state`` assign
        a new list); None when categories repeat, so that ``_codes`` raises as it always did."""
        cache = getattr(self, "_lookup_cache", None)
        if cache is None or cache[0] is not self.categories_:
            lookup = {c: i for i, c in enumerate(self.categories_)}
            unique = len(lookup) == len(self.categories_)
            cache = self._lookup_cache = (self.categories_, lookup if unique else None)
        return cache[1]

    @property
    def dtype_(self) -> pd.CategoricalDtype:
        """The pandas dtype of the native output: the training categories, sorted, unordered."""
        cache = getattr(self, "_dtype_cache", None)
        if cache is None or cache[0] is not self.categories_:
            dtype = pd.CategoricalDtype(pd.Index(self.categories_, dtype="str"), ordered=False)
            cache = self._dtype_cache = (self.categories_, dtype)
        return cache[1]

    # -- state ----------------------------------------------------------------------------------
    def get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self.check_fitted()
        state = {
            "strategy": self.strategy_,
            "categories": list(self.categories_),
            "has_missing": self.has_missing_,
            "target_labels": list(self.target_labels_),
            "names_out": list(self.names_out_),
        }
        arrays = {"frequencies": np.asarray(self.frequencies_, dtype=np.float64)}
        if self.strategy_ == "target":
            arrays["table"] = np.asarray(self.table_, dtype=np.float64)
            arrays["prior"] = np.asarray(self.prior_, dtype=np.float64)
        return state, arrays

    def set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.strategy_ = state["strategy"]
        self.categories_ = [str(c) for c in state["categories"]]
        self.has_missing_ = bool(state["has_missing"])
        self.target_labels_ = list(state["target_labels"])
        self.frequencies_ = np.asarray(arrays["frequencies"], dtype=np.float64)
        self.table_ = np.asarray(arrays.get("table", np.zeros((0, 0))), dtype=np.float64)
        self.prior_ = np.asarray(arrays.get("prior", np.zeros(0)), dtype=np.float64)
        self.names_out_ = list(state["names_out"])

    def frequency_by_category(self) -> dict[str, float]:
        """Training frequency per category (and ``'__missing__'``), for reports and tests."""
        keys = [*self.categories_, MISSING_LABEL]
        return dict(zip(keys, floats(self.frequencies_), strict=True))
