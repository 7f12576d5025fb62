"""k-fold cross-validation on the training part of a split.

Folds are made on the training rows only, so no validation or test row ever enters a fold. The
splitter is chosen from what the split knows: ``GroupKFold`` when the split is by group (no group on
both sides of a fold), ``StratifiedKFold`` for classification, ``KFold`` otherwise. The shuffled ones
are seeded; ``GroupKFold`` is deterministic by construction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold

from modelyard.errors import DataError

Fold = tuple[np.ndarray, np.ndarray]  # (fit positions, held-out positions), into the frame


def make_folds(
    train: np.ndarray,
    k: int | None,
    *,
    seed: int,
    classes: np.ndarray | None = None,
    class_names: Sequence[object] | None = None,
    groups: np.ndarray | None = None,
) -> tuple[tuple[Fold, ...], list[str]]:
    """Divide the training positions ``train`` into ``k`` folds.

    ``classes`` and ``groups`` are integer codes for every row of the frame (indexed by position);
    only their values at ``train`` are used. ``groups`` wins over ``classes``. Returns the folds,
    each ``(fit, held_out)`` as sorted positions into the frame, and notes about any fallback.
    ``k=None`` means no folds.
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
            named = ", ".join(f"{_name(c, class_names)!r} ({n} rows)" for c, n in small)
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


def _name(code: object, class_names: Sequence[object] | None) -> object:
    """The label of class ``code`` when names are known, else the code itself."""
    if class_names is None:
        return code
    return class_names[int(code)]
