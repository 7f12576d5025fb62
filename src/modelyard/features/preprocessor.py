"""The Preprocessor: one fitted encoder per schema column, learnt from the training rows only.

``fit(frame)`` learns from exactly the rows it is given: the caller passes the training rows, and
``n_fit_rows_`` / ``fit_rows_digest_`` record which rows those were, so a test or an audit can prove
that nothing from validation or test rows shaped the encoding. ``transform`` applies the learnt
state to any rows. ``fit_transform`` equals ``fit`` then ``transform`` except for target-encoded
columns, where it returns out-of-fold encodings for the training rows (a row's own target never
shapes its encoding) while ``transform`` uses the mapping fitted on all training rows.

Output: a DataFrame on the input's index, columns in schema order (each column's block in the order
its encoder documents), listed in ``feature_names_out_``:

* ``input_kind='dense'``: every column ``float64`` (see ``base.DENSE_DTYPE``).
* ``input_kind='categorical'``: the same, except low-cardinality categorical columns, which are
  pandas ``category`` columns with the training categories (listed in ``categorical_features_``).

Each kind's rules live next to its encoder: ``numeric.py``, ``categorical.py`` (+ ``target.py``),
``boolean.py``, ``datetime.py``, ``text.py``; ``transform`` runs them grouped by kind
(``assemble.py``: one row costs a few operations, not a few per column), with the same output as
calling each encoder's ``transform``. Identifier columns and columns not in the schema are
ignored; a schema column absent from the frame is a ``SchemaMismatch``. ``save``/``load`` write and
read JSON plus ``.npz`` (``state.py``), and a reloaded preprocessor transforms bit-identically.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modelyard.data.schema import KINDS, Schema
from modelyard.errors import DataError, SchemaMismatch, SpecError, TrainingError, did_you_mean
from modelyard.features import state as st
from modelyard.features.assemble import encode_frame
from modelyard.features.base import DENSE_DTYPE, ColumnEncoder
from modelyard.features.categorical import (
    HIGH_CARDINALITY,
    INPUT_KINDS,
    CategoricalEncoder,
    canonical,
)

_SKIPPED_KINDS = ("identifier",)


def _task_from_schema(schema: Schema, target: Any) -> str | None:
    """The task the schema's target kind implies (None: let the target's dtype decide)."""
    if schema.target_kind == "numeric":
        return "regression"
    if schema.target_kind in ("categorical", "boolean"):
        n_classes = len(pd.unique(np.asarray(target, dtype=object)))
        return "binary" if n_classes <= 2 else "multiclass"
    return None


class Preprocessor:
    """Leakage-free preprocessing of a table described by a ``Schema``."""

    def __init__(
        self,
        schema: Schema,
        *,
        input_kind: str = "dense",
        scale: bool = False,
        max_onehot: int = 20,
        high_cardinality: str = "frequency",
        text_max_features: int = 5000,
        seed: int = 0,
    ) -> None:
        self.schema = schema
        self.input_kind = input_kind
        self.scale = scale
        self.max_onehot = max_onehot
        self.high_cardinality = high_cardinality
        self.text_max_features = text_max_features
        self.seed = seed

    def get_params(self) -> dict[str, Any]:
        """The keyword arguments of ``__init__`` (everything but the schema)."""
        return {
            "input_kind": self.input_kind,
            "scale": self.scale,
            "max_onehot": self.max_onehot,
            "high_cardinality": self.high_cardinality,
            "text_max_features": self.text_max_features,
            "seed": self.seed,
        }

    # -- fitting --------------------------------------------------------------------------------
    def fit(self, frame: pd.DataFrame, y: Any = None, task: str | None = None) -> Preprocessor:
        """Learn every encoder from ``frame`` (the training rows) and return ``self``.

        ``y`` (one value per row) is needed only for target encoding; when it is None and the
        schema's target column is in ``frame``, that column is used. ``task`` ('binary',
        'multiclass', 'regression') comes from the schema's ``target_kind`` when not given (numeric
        -> regression, categorical/boolean -> binary or multiclass by class count), else from
        ``y``'s dtype (float -> regression).
        """
        self._fit(frame, y, task, encode=False)
        return self

    def fit_transform(
        self, frame: pd.DataFrame, y: Any = None, task: str | None = None
    ) -> pd.DataFrame:
        """Fit on ``frame`` and encode it; target-encoded columns get out-of-fold encodings."""
        blocks = self._fit(frame, y, task, encode=True)
        return self._assemble(blocks, frame.index)

    def _fit(
        self, frame: pd.DataFrame, y: Any, task: str | None, *, encode: bool
    ) -> list[pd.DataFrame]:
        self._check_params()
        self._check_frame(frame)
        if len(frame) == 0:
            raise DataError(
                "cannot fit preprocessing on 0 rows", hint="pass the training rows to fit"
            )
        target = None
        if self.high_cardinality == "target":  # the only encoder that reads the target
            target = y
            if target is None and self.schema.target in frame.columns:
                target = frame[self.schema.target]
            if task is None and target is not None:
                task = _task_from_schema(self.schema, target)
        encoders = self._make_encoders()
        blocks = []
        for name, encoder in encoders.items():
            if encode:
                blocks.append(encoder.fit_transform(frame[name], target, task))
            else:
                encoder.fit(frame[name], target, task)
        names = [n for encoder in encoders.values() for n in encoder.names_out_]
        duplicated = sorted(n for n, count in Counter(names).items() if count > 1)
        if duplicated:
            raise DataError(
                "two encoders produce the same output column(s): "
                + ", ".join(map(repr, duplicated)),
                hint="rename the input columns so that '<col>__missing' or '<col>=<value>' "
                "names do not collide with other columns",
            )
        self.encoders_: dict[str, ColumnEncoder] = encoders
        self.feature_names_in_ = list(encoders)
        self.feature_names_out_ = names
        self.categorical_features_ = self._categorical_names()
        self.n_fit_rows_ = int(len(frame))
        self.fit_rows_digest_ = st.rows_digest(frame.index)
        return blocks

    def _make_encoders(self) -> dict[str, ColumnEncoder]:
        """One unfitted encoder per feature column, in schema order."""
        options: dict[str, dict[str, Any]] = {
            "numeric": {"scale": bool(self.scale)},
            "datetime": {"scale": bool(self.scale)},
            "boolean": {},
            "text": {"max_features": int(self.text_max_features)},
            "categorical": {
                "input_kind": self.input_kind,
                "max_onehot": int(self.max_onehot),
                "high_cardinality": self.high_cardinality,
                "seed": int(self.seed),
            },
        }
        encoders: dict[str, ColumnEncoder] = {}
        for column in self.schema.columns:
            if column.kind in _SKIPPED_KINDS:
                continue
            if column.kind not in options:
                raise SpecError(
                    f"column '{column.name}' has unknown kind {column.kind!r}",
                    hint=did_you_mean(str(column.kind), KINDS),
                )
            extra = {"format": column.format} if column.kind == "datetime" else {}
            encoders[column.name] = st.ENCODERS[column.kind](
                column.name, **options[column.kind], **extra
            )
        return encoders

    def _categorical_names(self) -> list[str]:
        return [
            enc.column
            for enc in self.encoders_.values()
            if getattr(enc, "strategy_", None) == "native"
        ]

    # -- transforming ---------------------------------------------------------------------------
    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Encode any rows with the state learnt at fit; extra columns are ignored."""
        if not hasattr(self, "encoders_"):
            # hint: python-api: only code that calls modelyard directly meets it
            raise TrainingError(
                "this Preprocessor is not fitted yet",
                hint="call fit(train_frame) (or load a saved one) before transform",
            )
        self._check_frame(frame)
        # the same output as concatenating each encoder's transform (``_assemble``), grouped
        return encode_frame(self.encoders_, self.feature_names_out_, frame)

    def unseen_categories(self, frame: pd.DataFrame) -> dict[str, np.ndarray]:
        """Per categorical column, a boolean mask of the rows holding a category that training
        never saw (missing values are not unseen).

        ``frame`` holds rows as ``transform`` takes them (checked against the schema). The mask
        comes from the encoder's own canonical values and category lookup (the dict its small
        batches use, built once), so a flagged row is exactly one that ``transform`` encodes as
        unseen (all zeros for one-hot, NaN for native, 0 frequency, the prior); a lookup per
        value costs less than ``codes`` builds for a large batch.
        """
        out = {}
        for name, encoder in self.encoders_.items():
            if not isinstance(encoder, CategoricalEncoder):
                continue
            lookup = encoder._lookup()
            if lookup is None:  # repeated categories: the encoder's own codes decide
                out[name] = encoder.codes(frame[name]) < 0
                continue
            canon = canonical(frame[name])
            out[name] = np.fromiter((v is not None and v not in lookup for v in canon),
                                    dtype=bool, count=len(canon))
        return out

    def _assemble(self, blocks: list[pd.DataFrame], index: pd.Index) -> pd.DataFrame:
        """One frame in ``feature_names_out_`` order; a single float64 block when all-dense."""
        if not self.categorical_features_:
            arrays = [block.to_numpy(dtype=DENSE_DTYPE) for block in blocks]
            data = np.hstack(arrays) if arrays else np.zeros((len(index), 0), dtype=DENSE_DTYPE)
            return pd.DataFrame(data, index=index, columns=list(self.feature_names_out_))
        out = pd.concat(blocks, axis=1)
        assert list(out.columns) == self.feature_names_out_, "encoder blocks out of order"
        return out

    # -- checks ---------------------------------------------------------------------------------
    def _check_params(self) -> None:
        if not isinstance(self.schema, Schema):
            # hint: python-api: only code that calls modelyard directly meets it
            raise SpecError(
                f"schema must be a modelyard Schema, got {type(self.schema).__name__}",
                hint="build one with modelyard.data.infer.infer_schema or Schema(columns=...)",
            )
        choices = [
            ("input_kind", self.input_kind, INPUT_KINDS),
            ("high_cardinality", self.high_cardinality, HIGH_CARDINALITY),
        ]
        for name, value, valid in choices:
            if value not in valid:
                raise SpecError(
                    f"{name} must be one of {', '.join(map(repr, valid))}, got {value!r}",
                    hint=did_you_mean(str(value), valid),
                )
        integers = [
            ("max_onehot", self.max_onehot, 0),
            ("text_max_features", self.text_max_features, 1),
            ("seed", self.seed, 0),
        ]
        for name, value, low in integers:
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise SpecError(
                    f"{name} must be an integer >= {low}, got {value!r}",
                    hint=f"pass {name} as a whole number, at least {low}",
                )
        if not isinstance(self.scale, (bool, np.bool_)):
            raise SpecError(
                f"scale must be True or False, got {self.scale!r}", hint="pass scale=True"
            )

    def _check_frame(self, frame: pd.DataFrame) -> None:
        if not isinstance(frame, pd.DataFrame):
            # hint: python-api: only code that calls modelyard directly meets it
            raise DataError(
                f"preprocessing expects a pandas DataFrame, got {type(frame).__name__}",
                hint="wrap the rows in pd.DataFrame(...) with the schema's column names",
            )
        expected = [c.name for c in self.schema.columns if c.kind not in _SKIPPED_KINDS]
        labels = frame.columns.tolist()  # a set of the labels: one lookup per expected column
        present = set(labels)
        absent = [name for name in expected if name not in present]
        if absent:
            raise SchemaMismatch(
                f"the frame lacks {len(absent)} expected column(s): "
                f"{', '.join(map(repr, absent))}; "
                f"expected columns: {expected}; received: {list(map(str, labels))}",
                hint="pass every feature column of the schema (extra columns are ignored)",
            )
        if frame.columns.is_unique:
            return
        doubled = sorted({n for n in expected if int((frame.columns == n).sum()) > 1})
        if doubled:
            raise DataError(
                f"the frame has duplicate column(s) {', '.join(map(repr, doubled))}",
                hint="give every column a unique name",
            )

    # -- persistence ----------------------------------------------------------------------------
    def save(self, directory: str | Path) -> None:
        """Write the fitted state to ``directory`` as JSON plus ``.npz`` (no pickle)."""
        if not hasattr(self, "encoders_"):
            raise TrainingError(
                "cannot save a Preprocessor that is not fitted", hint="call fit first"
            )
        entries, arrays = [], {}
        for position, encoder in enumerate(self.encoders_.values()):
            entry, own = st.encoder_entry(position, encoder)
            entries.append(entry)
            arrays.update(own)
        params = {k: (bool(v) if k == "scale" else v) for k, v in self.get_params().items()}
        params = {k: (int(v) if isinstance(v, np.integer) else v) for k, v in params.items()}
        manifest = {
            "params": params,
            "schema": self.schema.to_dict(),
            "n_fit_rows": self.n_fit_rows_,
            "fit_rows_digest": self.fit_rows_digest_,
            "feature_names_out": list(self.feature_names_out_),
            "encoders": entries,
        }
        st.write(directory, manifest, arrays)

    @classmethod
    def load(cls, directory: str | Path) -> Preprocessor:
        """Read a preprocessor written by ``save``; its ``transform`` is bit-identical."""
        manifest, arrays = st.read(directory)
        pre = cls(Schema.from_dict(manifest["schema"]), **manifest["params"])
        encoders = [st.encoder_from_entry(i, e, arrays) for i, e in enumerate(manifest["encoders"])]
        pre.encoders_ = {encoder.column: encoder for encoder in encoders}
        pre.feature_names_in_ = list(pre.encoders_)
        pre.feature_names_out_ = [n for encoder in encoders for n in encoder.names_out_]
        if pre.feature_names_out_ != list(manifest["feature_names_out"]):
            raise DataError(
                f"saved preprocessing in {directory} is inconsistent: the encoders produce "
                f"{len(pre.feature_names_out_)} columns, the manifest lists "
                f"{len(manifest['feature_names_out'])}",
                hint="the artifact is damaged; save the preprocessing again",
            )
        pre.categorical_features_ = pre._categorical_names()
        pre.n_fit_rows_ = int(manifest["n_fit_rows"])
        pre.fit_rows_digest_ = str(manifest["fit_rows_digest"])
        return pre
