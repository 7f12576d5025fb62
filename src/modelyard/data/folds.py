"""Cutting row positions into parts and folds: the array-level half of the splitters.

Everything here works on plain numpy arrays (class codes, group codes, time ranks); ``split.py``
turns frame columns into those arrays and wraps the result in a ``Split``. Parts are always in the
order (train, validation, test). Part sizes follow the ratios: validation and test get ``n * ratio``
rounded half up, train the rest, so every size is within one row of its ratio (a stratified
split may move one held-out row across that line when it keeps class shares closer).

k-fold runs on the training part only, so no validation or test row ever enters a fold:
``GroupKFold`` for group splits, ``StratifiedKFold`` for classification, ``KFold`` otherwise; the
shuffled ones are seeded, ``GroupKFold`` is deterministic by construction.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold

from modelyard.errors import DataError

PARTS = ("train", "validation", "test")
Ratios = tuple[float, float, float]  # train, validation, test; they sum to 1
Parts = tuple[np.ndarray, np.ndarray, np.ndarray]  # train, validation, test positions
Fold = tuple[np.ndarray, np.ndarray]  # (fit positions, held-out positions), into the frame


def as_positions(values: Any, part: str) -> np.ndarray:
    """``values`` as sorted, unique, non-negative, read-only ``int64`` row positions."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise DataError(
            f"the {part} positions must be a flat list of row positions, got shape {arr.shape}",
            hint="pass one integer row position per row of the part",
        )
    if arr.size == 0:
        arr = np.zeros(0, dtype=np.int64)
    elif not np.issubdtype(arr.dtype, np.integer):
        # hint: python-api: only code that calls modelyard directly meets it
        raise DataError(
            f"the {part} positions must be integers, got values of dtype {arr.dtype}",
            hint="pass 0-based row positions (as from positions_dict()), not index labels",
        )
    arr = np.sort(arr.astype(np.int64))
    if arr.size and arr[0] < 0:
        raise DataError(
            f"the {part} positions must be >= 0, got {int(arr[0])}",
            hint="row positions count from 0 at the first row of the frame",
        )
    if arr.size > 1 and bool(np.any(arr[1:] == arr[:-1])):
        raise DataError(
            f"the {part} positions repeat a row", hint="each row may appear once in a part"
        )
    arr.setflags(write=False)
    return arr


def digest(positions: np.ndarray) -> str:
    """SHA-256 of the positions as little-endian int64 bytes (stable across machines)."""
    return hashlib.sha256(np.asarray(positions, dtype="<i8").tobytes()).hexdigest()


def _round(x: float) -> int:
    """Round half up (``round`` rounds half to even, which would make sizes depend on parity)."""
    return int(math.floor(x + 0.5))


def _sizes(n: int, ratios: Ratios) -> tuple[int, int, int]:
    n_val, n_test = _round(n * ratios[1]), _round(n * ratios[2])
    return n - n_val - n_test, n_val, n_test


def _wanted(ratios: Ratios) -> list[str]:
    """The parts that must get rows: train always, the others when their ratio is positive."""
    return [p for p, r in zip(PARTS, ratios, strict=True) if r > 0 or p == "train"]


def _empty_parts(sizes: Sequence[int], ratios: Ratios) -> list[str]:
    return [p for p, s in zip(PARTS, sizes, strict=True) if p in _wanted(ratios) and s < 1]


def part_sizes(n: int, ratios: Ratios) -> tuple[int, int, int]:
    """Rows per part for ``n`` rows; ``DataError`` when a part with a positive ratio gets none."""
    sizes = _sizes(n, ratios)
    empty = _empty_parts(sizes, ratios)
    if empty:
        need = 2
        while _empty_parts(_sizes(need, ratios), ratios):
            need += 1
        raise DataError(
            f"too few rows for the split: {n} row(s) with ratios train={ratios[0]:g}, "
            f"validation={ratios[1]:g}, test={ratios[2]:g} would leave the "
            f"{' and '.join(empty)} part(s) empty",
            hint=f"these ratios need at least {need} rows; add rows, or set the ratio of a part "
            "you can do without to 0",
        )
    return sizes


def _largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` that add up to ``total`` (Hamilton's method)."""
    weights = weights.astype(np.int64)
    whole = int(weights.sum())
    if total == 0 or whole == 0:
        return np.zeros_like(weights)
    scaled = weights * total  # exact integer arithmetic: share_k = scaled_k / whole
    base, frac = scaled // whole, scaled % whole
    order = np.lexsort((-weights, -frac))  # largest remainder first, then the larger class
    base[order[: total - int(base.sum())]] += 1
    return base


def _allocate(counts: np.ndarray, sizes: tuple[int, int, int]) -> np.ndarray:
    """Rows per (class, part): test drawn first, validation from the rest, train keeps the rest."""
    test = _largest_remainder(counts, sizes[2])
    val = _largest_remainder(counts - test, sizes[1])
    return np.stack([counts - test - val, val, test], axis=1)


def _deviation(table: np.ndarray, counts: np.ndarray) -> float:
    """Largest gap between a class's share in any non-empty part and its share overall."""
    share = counts / counts.sum()
    sizes = table.sum(axis=0)
    gaps = [np.abs(table[:, p] / sizes[p] - share).max() for p in range(3) if sizes[p]]
    return round(float(max(gaps)), 12)  # rounded so float noise never decides a tie


def _candidates(x: float, ratio: float) -> list[int]:
    if ratio == 0:
        return [0]
    return sorted({c for c in (math.floor(x), math.ceil(x), _round(x)) if c >= 1})


def _stratified(codes: np.ndarray, ratios: Ratios, rng: np.random.Generator) -> Parts:
    """Per-class allocation. Held-out sizes may move to the other side of ``n * ratio`` (at most
    one row) when that keeps every part's class shares closer to the whole's."""
    n = codes.size
    counts = np.bincount(codes)
    best: tuple[tuple, np.ndarray] | None = None
    for n_val in _candidates(n * ratios[1], ratios[1]):
        for n_test in _candidates(n * ratios[2], ratios[2]):
            if n - n_val - n_test < 1:
                continue
            table = _allocate(counts, (n - n_val - n_test, n_val, n_test))
            off = abs(n_val - n * ratios[1]) + abs(n_test - n * ratios[2])
            key = (_deviation(table, counts), round(off, 12), n_val, n_test)
            if best is None or key < best[0]:
                best = (key, table)
    assert best is not None, "the rounded sizes are always a candidate once part_sizes passed"
    by_class = np.split(np.argsort(codes, kind="stable"), np.cumsum(counts)[:-1])
    pieces: tuple[list, list, list] = ([], [], [])
    for members, (_, n_val, n_test) in zip(by_class, best[1], strict=True):
        members = rng.permutation(members)
        pieces[2].append(members[:n_test])
        pieces[1].append(members[n_test : n_test + n_val])
        pieces[0].append(members[n_test + n_val :])
    return tuple(np.concatenate(p).astype(np.int64) for p in pieces)  # type: ignore[return-value]


def _rare_class_notes(codes: np.ndarray, names: Sequence[object] | None, n_parts: int) -> list[str]:
    notes = []
    for k, count in enumerate(np.bincount(codes)):
        if 0 < count < n_parts:
            name = names[k] if names is not None else k
            note = (
                f"class {name!r} has {count} row(s), fewer than the {n_parts} parts of the split, "
                "so stratification is not possible"
            )
            if count == 1:
                note += "; with a single row it appears in one part only (never in train and test)"
            notes.append(note)
    if notes:
        notes.append("used a random (non-stratified) split instead")
    return notes


def divide(
    positions: np.ndarray,
    ratios: Ratios,
    rng: np.random.Generator,
    classes: np.ndarray | None = None,
    class_names: Sequence[object] | None = None,
) -> tuple[Parts, str, list[str]]:
    """Cut ``positions`` into (train, validation, test) by ``ratios``, stratified by ``classes``
    (codes aligned with ``positions``) when given. A class too small to reach every part turns it
    into a random split, with a note. Returns the sorted parts, the method used and notes."""
    positions = np.asarray(positions, dtype=np.int64)
    n = positions.size
    sizes = part_sizes(n, ratios)
    notes: list[str] = []
    if classes is not None:
        notes = _rare_class_notes(classes, class_names, sum(r > 0 for r in ratios))
    if classes is not None and not notes:
        local, method = _stratified(np.asarray(classes), ratios, rng), "stratified"
    else:
        order = rng.permutation(n)
        n_test, n_val = sizes[2], sizes[1]
        local = (order[n_test + n_val :], order[n_test : n_test + n_val], order[:n_test])
        method = "random"
    parts = tuple(np.sort(positions[idx]) for idx in local)
    return parts, method, notes  # type: ignore[return-value]


def _closest_cut(prefix: np.ndarray, start: int, target: int, lo: int, hi: int) -> int:
    """How many groups (``lo`` to ``hi``) taken from ``start`` come closest to ``target`` rows."""
    counts = np.arange(lo, hi + 1)
    rows = prefix[start + counts] - prefix[start]
    return int(counts[np.argmin(np.abs(rows - target))])


def divide_groups(
    groups: np.ndarray, ratios: Ratios, rng: np.random.Generator, *, column: str
) -> Parts:
    """Whole groups (codes 0..g-1, one per row) to parts, in a seeded order, sizes near the ratios.

    ``DataError`` when the ``column`` holding the groups has fewer groups than parts to fill.
    """
    n_groups = int(groups.max()) + 1
    wanted = _wanted(ratios)
    if n_groups < len(wanted):
        raise DataError(
            f"a group split into {len(wanted)} parts ({', '.join(wanted)}) needs at least "
            f"{len(wanted)} distinct groups in {column!r}, found {n_groups}",
            hint="use a group column with more groups, set the validation or test ratio to 0, "
            "or use another split method",
        )
    n_train, n_val, n_test = part_sizes(groups.size, ratios)
    order = rng.permutation(n_groups)
    prefix = np.concatenate([[0], np.cumsum(np.bincount(groups, minlength=n_groups)[order])])
    need_val = 1 if ratios[1] > 0 else 0
    n_test_groups = _closest_cut(prefix, 0, n_test, int(ratios[2] > 0), n_groups - need_val - 1)
    left = n_groups - n_test_groups - 1  # at least one group stays for train
    n_val_groups = _closest_cut(prefix, n_test_groups, n_val, need_val, left)
    part_of_group = np.zeros(n_groups, dtype=np.int8)  # 0 train, 1 validation, 2 test
    part_of_group[order[:n_test_groups]] = 2
    part_of_group[order[n_test_groups : n_test_groups + n_val_groups]] = 1
    row_part = part_of_group[groups]
    return tuple(np.flatnonzero(row_part == p) for p in range(3))  # type: ignore[return-value]


def divide_time(ranks: np.ndarray, ratios: Ratios, *, column: str) -> Parts:
    """Earliest rows to train, latest to test, by time ``ranks`` (equal ranks = equal times).

    Boundaries sit only where the time changes, as near the target sizes as that allows, so a time
    never straddles two parts. ``DataError`` when ``column`` has too few distinct times.
    """
    n = ranks.size
    wanted = _wanted(ratios)
    n_times = int(ranks.max()) + 1
    if n_times < len(wanted):
        raise DataError(
            f"the time column {column!r} has {n_times} distinct value(s); a time split into "
            f"{', '.join(wanted)} needs at least {len(wanted)} so that no time straddles two parts",
            hint="use a finer time column, set the validation or test ratio to 0, or use another "
            "split method",
        )
    n_train, n_val, n_test = part_sizes(n, ratios)
    order = np.argsort(ranks, kind="stable")
    ranked = ranks[order]
    cuts = np.flatnonzero(ranked[1:] != ranked[:-1]) + 1  # positions where a new time starts
    test_start = n
    if ratios[2] > 0:
        allowed = cuts[1:] if ratios[1] > 0 else cuts  # leave a cut below for validation
        test_start = int(allowed[np.argmin(np.abs(allowed - (n - n_test)))])
    val_start = test_start
    if ratios[1] > 0:
        allowed = cuts[cuts < test_start]
        val_start = int(allowed[np.argmin(np.abs(allowed - (test_start - n_val)))])
    local = (order[:val_start], order[val_start:test_start], order[test_start:])
    return tuple(np.sort(idx).astype(np.int64) for idx in local)  # type: ignore[return-value]


def make_folds(
    train: np.ndarray,
    k: int | None,
    *,
    seed: int,
    classes: np.ndarray | None = None,
    class_names: Sequence[object] | None = None,
    groups: np.ndarray | None = None,
) -> tuple[tuple[Fold, ...], list[str]]:
    """Divide the training positions ``train`` into ``k`` folds (``None``: no folds).

    ``classes`` and ``groups`` are integer codes for every row of the frame (indexed by position);
    only their values at ``train`` are used, and ``groups`` wins over ``classes``. Returns the
    folds, each ``(fit, held_out)`` as sorted positions into the frame, and notes on any fallback.
    """
    if k is None:
        return (), []
    train = np.asarray(train, dtype=np.int64)
    n_train = int(train.size)
    if k < 2:
        raise DataError(
            f"k-fold needs at least 2 folds, got folds={k}",
            hint="set split.folds to 2 or more, or leave it out for no folds",
        )
    if n_train < k:
        raise DataError(
            f"{k} folds need at least {k} training rows, but the training part has {n_train}",
            hint="lower split.folds, raise split.train, or add rows",
        )
    notes: list[str] = []
    placeholder = np.zeros(n_train)  # sklearn splitters only need the row count from X
    if groups is not None:
        train_groups = np.asarray(groups)[train]
        n_groups = int(np.unique(train_groups).size)
        if n_groups < k:
            raise DataError(
                f"{k} group folds need at least {k} groups in the training part, "
                f"but it holds {n_groups}",
                hint="lower split.folds, or use a group column with more distinct values",
            )
        pieces: Iterable = GroupKFold(n_splits=k).split(placeholder, groups=train_groups)
    elif classes is not None:
        train_classes = np.asarray(classes)[train]
        codes, counts = np.unique(train_classes, return_counts=True)
        small = [(c, int(n)) for c, n in zip(codes, counts, strict=True) if n < k]
        if small:
            named = ", ".join(
                f"{(class_names[int(c)] if class_names is not None else c)!r} ({n} rows)"
                for c, n in small
            )
            notes.append(
                f"stratified {k}-fold not possible: class(es) {named} have fewer training rows "
                f"than folds; used plain shuffled {k}-fold instead"
            )
            pieces = KFold(n_splits=k, shuffle=True, random_state=seed).split(placeholder)
        else:
            splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
            pieces = splitter.split(placeholder, train_classes)
    else:
        pieces = KFold(n_splits=k, shuffle=True, random_state=seed).split(placeholder)
    folds = tuple((np.sort(train[fit]), np.sort(train[held])) for fit, held in pieces)
    return folds, notes
