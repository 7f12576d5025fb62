"""Train/validation/test splits: the ``Split`` record and ``make_split``.

A ``Split`` holds row positions (0-based, into the frame as given, sorted ``int64``). The test rows
are reserved for the final evaluation: ``split.test`` refuses to answer until ``open_test(reason)``
unseals it, and every reason is recorded. Methods (``SplitSpec.method``): ``random``,
``stratified`` (class proportions kept in every part), ``group`` (no group in two parts), ``time``
(train earliest, test latest, ties never straddle a boundary) and ``column`` (the data says which
row goes where). ``auto`` picks ``column`` when a part column is named, ``stratified`` for
classification and ``random`` for regression. All randomness comes from ``seed``. The ``column``,
``group`` and ``time`` methods are in ``split_methods``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from modelyard.data.folds import PARTS, Fold, as_positions, digest, divide, make_folds
from modelyard.data.split_methods import by_column, by_group, by_time, column_named, no_missing
from modelyard.errors import DataError, SpecError, did_you_mean
from modelyard.spec.models import TASKS, SplitSpec

CLASSIFICATION = ("binary", "multiclass")
@dataclass(frozen=True, eq=False, repr=False)
class Split:
    """Row positions of the train, validation and (sealed) test parts, plus k-fold on train.

    Build one with ``make_split`` or ``Split.from_positions``. The third argument holds the test
    positions; read them only through ``open_test(reason)``. ``folds`` are ``(fit, held_out)``
    position pairs whose held-out parts partition ``train``.
    """

    train: np.ndarray
    validation: np.ndarray
    _test: np.ndarray
    folds: tuple[Fold, ...] = ()
    method: str = "random"
    seed: int = 0
    notes: tuple[str, ...] = ()
    _opened_for: list[str] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        put = object.__setattr__  # the dataclass is frozen; normalise once, here
        parts = [as_positions(v, p) for v, p in zip((self.train, self.validation, self._test),
                                                     PARTS, strict=True)]
        if parts[0].size == 0:
            raise DataError(
                "a split needs at least one training row, got none",
                hint="raise split.train, or label some rows 'train' in the split column",
            )
        every = np.concatenate(parts)
        if np.unique(every).size < every.size:
            raise DataError(
                f"the parts share {every.size - np.unique(every).size} row(s); train, validation "
                "and test must be disjoint",
                hint="every row must belong to exactly one part",
            )
        folds = tuple(
            (as_positions(fit, f"fold {i} fit"), as_positions(held, f"fold {i} held-out"))
            for i, (fit, held) in enumerate(self.folds)
        )
        held_all = np.sort(np.concatenate([held for _, held in folds])) if folds else parts[0]
        whole = [np.array_equal(np.sort(np.concatenate(f)), parts[0]) for f in folds]
        if not (all(whole) and np.array_equal(held_all, parts[0])):
            raise DataError(
                "the folds do not partition the training part",
                hint="in each fold, fit and held-out rows together are the train part, and every "
                "training row is held out in exactly one fold",
            )
        put(self, "train", parts[0])
        put(self, "validation", parts[1])
        put(self, "_test", parts[2])
        put(self, "folds", folds)
        put(self, "method", str(self.method))
        put(self, "seed", int(self.seed))
        put(self, "notes", tuple(str(n) for n in self.notes))

    # -- the sealed test part -------------------------------------------------------------------
    @property
    def n_test(self) -> int:
        """Number of test rows; reading it does not open the test part."""
        return int(self._test.size)

    @property
    def test(self) -> np.ndarray:
        """The test positions, only after ``open_test``; raises ``DataError`` before."""
        if not self._opened_for:
            # hint: python-api: only code that calls modelyard directly meets it
            raise DataError(
                "the test rows are reserved for the final evaluation; nothing before it may read "
                f"them (this split holds {self.n_test} test rows, still sealed)",
                hint="use split.n_test for the count; call split.open_test(reason) once the model "
                "is final",
            )
        return self._test

    def open_test(self, reason: str) -> np.ndarray:
        """Unseal the test part for ``reason`` (recorded) and return its positions."""
        if not isinstance(reason, str) or not reason.strip():
            # hint: python-api: only code that calls modelyard directly meets it
            raise DataError(
                f"open_test needs a reason saying why the test rows are read, got {reason!r}",
                hint="e.g. split.open_test('final evaluation of the selected model')",
            )
        self._opened_for.append(reason.strip())
        return self._test

    @property
    def test_opened_for(self) -> tuple[str, ...]:
        """The reasons given each time the test part was opened, oldest first."""
        return tuple(self._opened_for)

    # -- records ----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-able summary: method, seed, sizes, a SHA-256 per part, fold count, notes."""
        parts = dict(zip(PARTS, (self.train, self.validation, self._test), strict=True))
        return {
            "method": self.method,
            "seed": self.seed,
            "sizes": {name: int(pos.size) for name, pos in parts.items()},
            "sha256": {name: digest(pos) for name, pos in parts.items()},
            "folds": len(self.folds),
            "notes": list(self.notes),
            "test_opened_for": list(self._opened_for),
        }

    def positions_dict(self) -> dict[str, Any]:
        """Every position as plain lists, to store with a run; ``from_positions`` rebuilds it.

        This is a record, not a way to read the test rows: whoever rebuilds it gets a sealed split.
        """
        return {
            "method": self.method,
            "seed": self.seed,
            "notes": list(self.notes),
            "train": self.train.tolist(),
            "validation": self.validation.tolist(),
            "test": self._test.tolist(),
            "folds": [{"fit": fit.tolist(), "held_out": held.tolist()} for fit, held in self.folds],
        }

    @classmethod
    def from_positions(cls, positions: Mapping[str, Any], *, n_rows: int | None = None) -> Split:
        """Rebuild a (sealed) split from ``positions_dict()`` output.

        With ``n_rows``, also check that every position falls inside a frame of that many rows.
        """
        needed = ("train", "validation", "test")
        missing = [key for key in needed if key not in positions]
        if missing:
            # hint: python-api: only code that calls modelyard directly meets it
            raise DataError(
                f"split positions lack {missing}; got keys {sorted(positions)}",
                hint=f"pass the dict from Split.positions_dict(), which holds {list(needed)}",
            )
        folds = [
            (f.get("fit", ()), f.get("held_out", ())) if isinstance(f, Mapping) else tuple(f)
            for f in positions.get("folds") or ()
        ]
        split = cls(
            positions["train"], positions["validation"], positions["test"], folds=tuple(folds),
            method=positions.get("method", "given"), seed=positions.get("seed", 0),
            notes=tuple(positions.get("notes") or ()),
        )
        if n_rows is not None:
            top = max(int(p[-1]) for p in (split.train, split.validation, split._test) if p.size)
            if top >= n_rows:
                raise DataError(
                    f"the split refers to row position {top}, but the frame has {n_rows} rows",
                    hint="the stored split belongs to a different (larger) version of the data",
                )
        return split

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Split):
            return NotImplemented
        return self.positions_dict() == other.positions_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable open-record; equality is by value

    def __repr__(self) -> str:
        return (
            f"Split(method={self.method!r}, seed={self.seed}, train={self.train.size}, "
            f"validation={self.validation.size}, test={self.n_test} (sealed), "
            f"folds={len(self.folds)})"
        )


def make_split(
    frame: pd.DataFrame, spec: SplitSpec, *, target: str | None, task: str, seed: int
) -> Split:
    """Split the rows of ``frame`` as ``spec`` says, for a ``task`` predicting ``target``.

    ``task`` is ``binary``, ``multiclass`` or ``regression``. Rows with a missing target are an
    error (drop them first). Falling back from stratification, and anything else a person should
    know, ends up in ``Split.notes``.
    """
    if task not in TASKS:
        raise SpecError(
            f"unknown task {task!r} for splitting; expected one of {list(TASKS)}",
            hint=did_you_mean(task, TASKS),
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SpecError(
            f"the split seed must be a non-negative integer, got {seed!r}",
            hint="set seed to an integer such as 42 in the spec",
        )
    if not isinstance(frame, pd.DataFrame):
        raise DataError(
            f"make_split needs a pandas DataFrame, got {type(frame).__name__}",
            hint="read the data with a modelyard Source first",
        )
    seed = int(seed)
    classes, class_names = _target_classes(frame, target, classify=task in CLASSIFICATION)
    method = _resolve_method(spec, task, target)
    notes = _unused_settings(spec, method)
    rng = np.random.default_rng(seed)
    ratios = (spec.train, spec.validation, spec.test)
    groups = None
    if method == "column":
        parts, more = by_column(frame, spec, rng, classes, class_names)
    elif method == "group":
        parts, groups, more = by_group(frame, spec.group_column, ratios, rng)
    elif method == "time":
        parts, more = by_time(frame, spec.time_column, ratios)
    else:
        stratify_by = classes if method == "stratified" else None
        positions = np.arange(len(frame), dtype=np.int64)
        parts, method, more = divide(positions, ratios, rng, stratify_by, class_names)
    folds, fold_notes = make_folds(
        parts[0], spec.folds, seed=seed, classes=classes, class_names=class_names, groups=groups
    )
    return Split(
        parts[0], parts[1], parts[2], folds=folds, method=method, seed=seed,
        notes=tuple(notes + more + fold_notes),
    )


def _resolve_method(spec: SplitSpec, task: str, target: str | None) -> str:
    """The method ``auto`` stands for, after checking that an explicit one can work."""
    method = spec.method
    if method == "auto":
        if spec.column is not None:
            return "column"
        return "stratified" if task in CLASSIFICATION and target is not None else "random"
    if method == "stratified" and target is None:
        raise DataError(
            "a stratified split needs a target column, but none was given",
            hint="set data.target, or use split method 'random'",
        )
    if method == "stratified" and task not in CLASSIFICATION:
        raise DataError(
            f"a stratified split keeps class proportions, so it needs a classification task; "
            f"got task {task!r}",
            hint="use split method 'random' (or 'auto') for regression",
        )
    return method


def _unused_settings(spec: SplitSpec, method: str) -> list[str]:
    """Notes for split settings the chosen method does not use (so nothing is silently ignored)."""
    uses = {"group_column": "group", "time_column": "time", "column": "column"}
    return [
        f"split.{name} is set but method {method!r} does not use it; set method: {wanted} to "
        f"split by it"
        for name, wanted in uses.items()
        if getattr(spec, name) is not None and method != wanted
    ]


def _target_classes(
    frame: pd.DataFrame, target: str | None, *, classify: bool
) -> tuple[np.ndarray | None, list[object] | None]:
    """Check the target and, for classification, return its class codes and class labels."""
    if target is None:
        return None, None
    column = column_named(frame, target, "the target column")
    values = frame[column]
    no_missing(
        values, f"the target column {target!r}",
        "drop the rows with a missing target (they cannot be scored) or fill them before splitting",
    )
    if not classify:
        return None, None
    codes, labels = pd.factorize(values, sort=False)
    return codes.astype(np.int64), list(labels)
