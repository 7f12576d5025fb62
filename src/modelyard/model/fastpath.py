"""The single-row fast path: one raw record to the model's outputs without a pandas DataFrame.

``FittedModel.predict_row(record)`` answers one record (a mapping of column to value, as a JSON
request carries it). The batch path builds a one-row frame, checks it against the schema
(``data.infer.check_schema``), encodes it (``features.assemble.encode_frame``) and lets the
learner restore its column layout (``learners.persist.restore_layout``): a few milliseconds of
pandas for microseconds of arithmetic. Here the same steps are compiled once per model, lazily,
into plain arrays and lookup tables, and cached on the model object (never saved):

* **the schema check** (``RowCheck``): per column, a converter from the record's value to what
  ``check_schema`` would store, as a Python value: a float for numeric columns (NaN: missing;
  an integral float goes through ``int64`` there, so -0.0 becomes 0.0; a plain decimal of at
  most 15 digits held as text, such as ``'29.85'``, is read as a double), 1.0/0.0/NaN for boolean
  columns (the same true/false tokens, stripped and lower-cased), the canonical category string
  or None for categorical columns (stripped; ``3``, ``3.0`` and ``'3'`` alike);
* **the fitted preprocessing** (``RowEncoding``): the numeric and boolean columns as arrays of
  fill values, bounds, means and standard deviations, applied with the same numpy operations
  ``encode_frame`` applies to its block; each categorical column as its category -> code dict
  and the strategy's table (one-hot position, native code, frequency, target means or prior);
* **the learner's input**: the layout the learner recorded at fit, as positions into the encoded
  row, native category columns as their codes in the layout's categories (NaN: missing or
  unseen); the learner predicts from that float64 row (``TabularLearner.predict_matrix``: the
  boosters on a 2-d array, linear models as a dot product, forests on the array, the network
  under ``torch.inference_mode``).

An ensemble averages its members' outputs with the weights exactly as ``WeightedAverage`` does
(the same float64 operations in the same order), after one check of the record.

The outputs are the batch path's to the last bit: every value goes through the operations the
batch path applies, on the same float64 values, and the property test in
``tests/unit/model/test_fastpath.py`` compares them exactly over real rows with missing values
and unseen categories.

What takes the batch path instead, so that its answer and its errors stay the reference:

* a whole model whose schema has a text or datetime column, whose preprocessing holds an encoder
  other than the three above (or one with repeated categories), or whose learner has no
  ``predict_matrix`` path: TF-IDF and date parsing are not compiled here;
* a record that is not plain: a key that is not a string, a schema column absent from the
  record, a value of a type other than None, bool, int, float or str where the column's kind
  reads it (numpy scalars included), a number held as text other than a plain decimal of at
  most 15 digits (``'1e5'``, ``'NA'``: ``pd.to_numeric`` decides), a value that does not
  convert (a boolean column holding 'maybe'), an integer beyond int64 or a non-integral float
  in a categorical column. The batch path then raises its usual ``SchemaMismatch`` or answers
  as it always did.

Unseen categories are scored as the encoding treats them (all zeros for one-hot, the prior for
target encoding, missing for native categories, frequency 0); the unseen-category policy of a
served version is the server's (``serving/inputs.py``), applied before it asks for a prediction.
``RowPath.unseen(record)`` names them as ``find_unseen`` does on a one-row frame, so a caller
can apply the policy to a record without building one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from modelyard.data.convert import _FALSE, _TRUE
from modelyard.features.boolean import BooleanEncoder
from modelyard.features.categorical import CategoricalEncoder
from modelyard.features.numeric import NumericEncoder

_NAN = float("nan")
_INT64 = 2**63  # ints in [-2**63, 2**63) make an int64 column
_INTEGRAL = 2**62  # below this, an integral float column is stored as int64 (data/convert.py)


# A plain decimal ('29.85', '-3', '.5') of at most 15 digits: its value is an integer below 10**15
# divided by a power of ten below 10**22, both exact doubles, so every correctly rounding parser
# (Python's float, pandas' and Arrow's) reads the same double. Other numbers held as text take
# the batch path.
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)")
_DIGITS = 15


class _Batch(Exception):
    """Raised inside the fast path: this record takes the batch path."""


# ---- the schema check ----------------------------------------------------------------------------


def _numeric(value: Any) -> float:
    kind = type(value)
    if kind is float:
        if value != value:
            return _NAN
        return 0.0 if value == 0.0 else value  # -0.0: the int64 round trip makes it 0.0
    if kind is int:
        if -_INT64 <= value < _INT64:
            return float(value)  # int64 -> float64: the same rounding as numpy's cast
        raise _Batch
    if kind is bool:
        return 1.0 if value else 0.0
    if value is None:
        return _NAN
    if kind is str:
        text = value.strip()
        if not text:
            return _NAN  # a blank cell is missing
        if _DECIMAL.fullmatch(text) and sum(ch.isdigit() for ch in text) <= _DIGITS:
            number = float(text)
            return 0.0 if number == 0.0 else number
    raise _Batch  # other text (exponents, markers, words) is pd.to_numeric's to judge


def _boolean(value: Any) -> float:
    kind = type(value)
    if kind is bool:
        return 1.0 if value else 0.0
    if value is None:
        return _NAN
    if kind is str:
        token = value.strip().lower()
        if not token:
            return _NAN
        if token in _TRUE:
            return 1.0
        if token in _FALSE:
            return 0.0
        raise _Batch  # not a true/false token: the batch path raises its error
    if kind is float and value != value:
        return _NAN
    if (kind is float or kind is int) and (value == 0 or value == 1):
        return 1.0 if value == 1 else 0.0
    raise _Batch


def _categorical(value: Any) -> str | None:
    kind = type(value)
    if kind is str:
        return value.strip() or None
    if value is None:
        return None
    if kind is bool:
        return "True" if value else "False"
    if kind is int and -_INT64 <= value < _INT64:
        return str(value)
    if kind is float:
        if value != value:
            return None
        if value % 1.0 == 0.0 and abs(value) < _INTEGRAL:
            return str(int(value))
    raise _Batch  # pandas writes other floats as text its own way


def _present(value: Any) -> None:
    """Identifier columns: only their presence is checked (the preprocessing skips them)."""
    return None


_CONVERTERS = {
    "numeric": _numeric,
    "boolean": _boolean,
    "categorical": _categorical,
    "identifier": _present,
}


class RowCheck:
    """``check_schema`` of one record, compiled: ``check(record)`` -> {column: value}."""

    def __init__(self, schema: Any) -> None:
        self.columns = [(c.name, _CONVERTERS[c.kind]) for c in schema.columns]

    @classmethod
    def compile(cls, schema: Any) -> RowCheck | None:
        """None when a column's kind is not compiled (text, datetime)."""
        if any(c.kind not in _CONVERTERS for c in schema.columns):
            return None
        return cls(schema)

    def check(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The record's values as the schema check stores them; ``_Batch`` when it cannot tell."""
        if type(record) is not dict:
            record = dict(record)
        out = {}
        try:
            for name, convert in self.columns:
                out[name] = convert(record[name])
        except KeyError:
            raise _Batch from None  # a missing column: the batch path names it
        for key in record:
            if type(key) is not str:
                raise _Batch  # the batch path turns labels into strings
        return out


# ---- the fitted preprocessing and the learner's layout -------------------------------------------


@dataclass
class _Categorical:
    """One categorical column's encoding: where it writes and what."""

    name: str
    start: int  # first output position
    strategy: str
    lookup: dict[str, int]  # category -> code
    n_cat: int
    width: int  # one-hot: categories + the missing column when there is one
    frequencies: np.ndarray
    table: np.ndarray
    prior: np.ndarray
    native: np.ndarray | None  # native: encoder code (n_cat: missing) -> layout code (NaN: none)


class RowEncoding:
    """One fitted ``Preprocessor`` and the learner's layout, compiled for single rows."""

    def __init__(self, preprocessor: Any, layout: list[dict]) -> None:
        imputed, categorical = [], []
        start = 0
        for name, encoder in preprocessor.encoders_.items():
            if type(encoder) in (NumericEncoder, BooleanEncoder):
                imputed.append((start, name, encoder))
            elif type(encoder) is CategoricalEncoder:
                categorical.append((start, name, encoder))
            else:
                raise _Batch
            start += len(encoder.names_out_)
        self.n_out = start
        names_out = list(preprocessor.feature_names_out_)
        if start != len(names_out):
            raise _Batch
        self.imputed = [name for _, name, _ in imputed]
        encoders = [e for _, _, e in imputed]
        is_bool = np.array([type(e) is BooleanEncoder for e in encoders], dtype=bool)
        self.is_bool = is_bool
        self.fill = np.array([e.mode_ if b else e.median_
                              for e, b in zip(encoders, is_bool, strict=True)], dtype=np.float64)
        self.numeric = ~is_bool
        chosen = [e for e, b in zip(encoders, is_bool, strict=True) if not b]
        self.low = np.array([e.low_ for e in chosen], dtype=np.float64)
        self.high = np.array([e.high_ for e in chosen], dtype=np.float64)
        self.scaled = np.array([not b and bool(e.scale)
                                for e, b in zip(encoders, is_bool, strict=True)], dtype=bool)
        scaled = [e for e, s in zip(encoders, self.scaled, strict=True) if s]
        self.mean = np.array([e.mean_ for e in scaled], dtype=np.float64)
        self.std = np.array([e.std_ for e in scaled], dtype=np.float64)
        self.starts = np.array([s for s, _, _ in imputed], dtype=np.int64)
        flagged = np.array([e.has_missing_ for e in encoders], dtype=bool)
        self.flagged = flagged
        self.flag_at = self.starts[flagged] + 1 if flagged.size else self.starts[:0]
        self.any_scaled = bool(self.scaled.any())
        self.any_numeric = bool(self.numeric.any())
        position = {name: j for j, name in enumerate(names_out)}
        layout_at = {c["name"]: i for i, c in enumerate(layout)}
        self.categorical = [self._categorical(s, n, e, layout, layout_at)
                            for s, n, e in categorical]
        try:
            self.take = np.array([position[c["name"]] for c in layout], dtype=np.int64)
        except KeyError:
            raise _Batch from None
        native_at = {c.start for c in self.categorical if c.native is not None}
        for column, j in zip(layout, self.take.tolist(), strict=True):
            if (column["kind"] == "category") != (j in native_at):
                raise _Batch  # a layout the preprocessing does not produce: let pandas decide

    @staticmethod
    def _categorical(start: int, name: str, encoder: CategoricalEncoder, layout: list[dict],
                     layout_at: dict[str, int]) -> _Categorical:
        lookup = encoder._lookup()
        if lookup is None:
            raise _Batch  # repeated categories: the encoder's pandas index decides
        n_cat = len(encoder.categories_)
        native = None
        if encoder.strategy_ == "native":
            if name not in layout_at or layout[layout_at[name]]["kind"] != "category":
                raise _Batch
            # restore_layout re-reads the categorical by value in the layout's categories
            known = {v: i for i, v in enumerate(layout[layout_at[name]]["categories"])}
            native = np.array([known.get(c, _NAN) for c in encoder.categories_] + [_NAN],
                              dtype=np.float64)
        elif encoder.strategy_ not in ("onehot", "frequency", "target"):
            raise _Batch
        return _Categorical(
            name=name, start=start, strategy=encoder.strategy_, lookup=lookup, n_cat=n_cat,
            width=n_cat + int(encoder.has_missing_),
            frequencies=np.asarray(encoder.frequencies_, dtype=np.float64),
            table=np.asarray(encoder.table_, dtype=np.float64),
            prior=np.asarray(encoder.prior_, dtype=np.float64), native=native,
        )

    def fingerprint(self) -> str:
        """A digest of everything :meth:`row` reads: two encodings with the same fingerprint
        give the same row for every record (the members of a refit ensemble, fitted on the same
        rows, often share one; ``RowPath.output`` then encodes the record once for them)."""
        digest = hashlib.sha256()

        def add(value: Any) -> None:
            if isinstance(value, np.ndarray):
                digest.update(f"{value.dtype}{value.shape}".encode())
                digest.update(np.ascontiguousarray(value).tobytes())
            else:
                digest.update(repr(value).encode())
            digest.update(b"|")

        for key in sorted(vars(self)):
            if key != "categorical":
                add(key)
                add(vars(self)[key])
        for col in self.categorical:
            for field_ in fields(col):
                add(getattr(col, field_.name))
        return digest.hexdigest()

    def row(self, checked: dict[str, Any]) -> np.ndarray:
        """The learner's input for one checked record: a (1, layout columns) float64 matrix."""
        out = np.zeros(self.n_out, dtype=np.float64)
        if self.imputed:
            # encode_frame's _impute on one row: the same operations on the same float64 values
            x = np.array([checked[name] for name in self.imputed], dtype=np.float64)
            x[~np.isfinite(x)] = np.nan  # to_float's rule; boolean values are finite already
            missing = np.isnan(x)
            filled = np.where(missing, self.fill, x)
            if self.any_numeric:
                filled[self.numeric] = np.clip(filled[self.numeric], self.low, self.high)
            if self.any_scaled:
                filled[self.scaled] = (filled[self.scaled] - self.mean) / self.std
            out[self.starts] = filled
            out[self.flag_at] = missing[self.flagged]
        for col in self.categorical:
            value = checked[col.name]
            code = col.n_cat if value is None else col.lookup.get(value, -1)
            if col.strategy == "onehot":
                if 0 <= code < col.width:
                    out[col.start + code] = 1.0
            elif col.strategy == "native":
                out[col.start] = _NAN if code < 0 else col.native[code]
            elif col.strategy == "frequency":
                out[col.start] = col.frequencies[code] if code >= 0 else 0.0
            else:  # target: the table's row, the prior for an unseen value
                encoded = col.table[code] if code >= 0 else col.prior
                out[col.start : col.start + len(encoded)] = encoded
        return out[self.take][None, :]


# ---- the model ----------------------------------------------------------------------------------


@dataclass
class RowPath:
    """A fitted model's single-row path: the check, then each member's encoding and learner."""

    check: RowCheck
    members: list[tuple[RowEncoding, Any]]  # (encoding, learner)
    weights: list[float] | None  # an ensemble's weights; None for one model
    task: str
    n_classes: int | None
    parts: tuple[Any, ...]  # the objects compiled, to notice when the model is changed

    def output(self, record: Mapping[str, Any]) -> np.ndarray | None:
        """Probabilities (1, classes) or values (1,), as the batch path's learner returns them;
        None when the record takes the batch path."""
        try:
            checked = self.check.check(record)
            if self.weights is None:
                encoding, learner = self.members[0]
                return learner.predict_matrix(encoding.row(checked))
            total = None  # WeightedAverage._each, member by member
            rows: dict[int, np.ndarray] = {}  # members sharing an encoding share its row
            for (encoding, learner), weight in zip(self.members, self.weights, strict=True):
                row = rows.get(id(encoding))
                if row is None:
                    row = rows[id(encoding)] = encoding.row(checked)
                out = learner.predict_matrix(row)
                if out.ndim == 2 and self.n_classes and out.shape[1] < self.n_classes:
                    out = np.pad(out, ((0, 0), (0, self.n_classes - out.shape[1])))
                total = weight * out if total is None else total + weight * out
            return total
        except _Batch:
            return None


    def unseen(self, record: Mapping[str, Any]) -> dict[str, str] | None:
        """The categorical columns holding a category no member's training saw, with that
        value (canonical: stripped): what ``serving.inputs.find_unseen`` finds in the record as
        a checked one-row frame, for a caller that applies the unseen-category policy without
        building one. None when the record takes the batch path."""
        try:
            checked = self.check.check(record)
        except _Batch:
            return None
        found: dict[str, bool] = {}
        for encoding, _ in self.members:
            for col in encoding.categorical:
                value = checked[col.name]
                unseen = value is not None and value not in col.lookup
                found[col.name] = found.get(col.name, True) and unseen
        return {name: checked[name] for name, unseen in found.items() if unseen}


def _parts(model: Any) -> tuple[Any, ...]:
    """The objects a compiled path was made from: when one is replaced, it is compiled again."""
    members = getattr(model, "members", None)
    if members is None:
        return (model.schema, model.preprocessor, model.learner)
    parts = [model.schema, model.weights]
    for member in members:
        parts += [member, member.preprocessor, member.learner]
    return tuple(parts)


def compile_row_path(model: Any) -> RowPath | None:
    """The model's ``RowPath``, or None when some part of it is not compiled (module doc)."""
    check = RowCheck.compile(model.schema)
    if check is None:
        return None
    members = getattr(model, "members", None)
    pairs = [(model.preprocessor, model.learner)] if members is None else [
        (m.preprocessor, m.learner) for m in members]
    compiled = []
    shared: dict[str, RowEncoding] = {}  # fingerprint -> the first encoding with it
    for preprocessor, learner in pairs:
        layout = getattr(learner, "layout_", None)
        if layout is None or not callable(getattr(learner, "predict_matrix", None)):
            return None
        hook = "_values_matrix" if model.task == "regression" else "_proba_matrix"
        if not callable(getattr(learner, hook, None)):
            return None
        try:
            encoding = RowEncoding(preprocessor, layout)
        except _Batch:
            return None
        compiled.append((shared.setdefault(encoding.fingerprint(), encoding), learner))
    labels = getattr(model, "labels", None)
    return RowPath(
        check=check, members=compiled,
        weights=None if members is None else [float(w) for w in model.weights],
        task=model.task, n_classes=len(labels) if labels else None, parts=_parts(model),
    )


_CACHE = "_row_path"  # the attribute the compiled path is cached in, on the model object


def row_path(model: Any) -> RowPath | None:
    """The model's compiled single-row path (cached on it), or None: the batch path."""
    cached = model.__dict__.get(_CACHE)
    if cached is not None:
        path = cached[0]
        parts = _parts(model)
        if len(parts) == len(cached[1]) and all(a is b for a, b in zip(parts, cached[1],
                                                                         strict=True)):
            return path
    path = compile_row_path(model)
    model.__dict__[_CACHE] = (path, _parts(model))
    return path


__all__ = ["RowPath", "compile_row_path", "row_path"]
