"""What the scikit-learn estimators accept, and the errors scikit-learn's callers expect.

scikit-learn code (its estimator checks, ``GridSearchCV``, user code written for any estimator)
catches ``ValueError`` for bad input. modelyard raises ``DataError`` and ``SpecError``. The
estimators translate at their boundary into ``InvalidInput`` and ``InvalidParameter``, which are
both: a modelyard error (message and hint) and a ``ValueError``. The error tree itself is unchanged;
only what these estimators raise carries the second base.

Rows become a DataFrame before anything else sees them: a DataFrame whose column names are all
strings keeps them; any other input (numpy array, list of rows, a DataFrame with integer column
names) gets the positional names ``x0``, ``x1``, ... both at fit and at predict time.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
from sklearn.utils import assert_all_finite, column_or_1d
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from modelyard.errors import DataError, SpecError

MIN_FIT_ROWS = 2  # one row teaches nothing (and scikit-learn's checks expect a '1 sample' error)


class InvalidInput(DataError, ValueError):
    """Rows or targets an estimator cannot use: a ``DataError`` that is also a ``ValueError``."""


class InvalidParameter(SpecError, ValueError):
    """A bad estimator parameter: a ``SpecError`` that is also a ``ValueError``."""


@contextmanager
def sklearn_errors() -> Iterator[None]:
    """Re-raise modelyard's data and spec errors as their ``ValueError`` twins (same text)."""
    try:
        yield
    except (InvalidInput, InvalidParameter):
        raise
    except DataError as err:
        raise InvalidInput(err.message, hint=err.hint) from err
    except SpecError as err:
        raise InvalidParameter(err.message, hint=err.hint) from err


def positional_names(n: int) -> list[str]:
    """The column names of rows given without string names: x0, x1, ..."""
    return [f"x{i}" for i in range(n)]


def rows(estimator: Any, X: Any, *, reset: bool) -> pd.DataFrame:
    """``X`` as a DataFrame with the estimator's column names, after scikit-learn's own checks
    (``n_features_in_`` and ``feature_names_in_`` set when ``reset``, compared otherwise).

    DataFrames pass as they are (mixed types, categories, missing values); other input goes
    through ``check_array``: sparse, complex, 1-D or infinite values are refused there.
    """
    least = MIN_FIT_ROWS if reset else 1
    if isinstance(X, pd.DataFrame):
        validate_data(estimator, X, skip_check_array=True, reset=reset)
        if X.shape[0] < least or X.shape[1] < 1:
            # hint: python-api: only code that calls modelyard directly meets it
            raise InvalidInput(
                f"{type(estimator).__name__} needs at least {least} row(s) and 1 column; got "
                f"{X.shape[0]} sample(s) and {X.shape[1]} feature(s)",
                hint="pass a DataFrame with rows and feature columns")
        frame = X
    else:
        array = validate_data(estimator, X, reset=reset, dtype=None, accept_sparse=False,
                              ensure_all_finite="allow-nan", ensure_min_samples=least)
        frame = pd.DataFrame(array)
        if array.dtype == object:  # numbers held as objects become numbers again
            frame = frame.infer_objects()
    names = fitted_names(estimator) if not reset else _names(frame)
    return frame.set_axis(names, axis=1)


def fitted_names(estimator: Any) -> list[str]:
    """The column names the estimator was fitted with (its schema's names)."""
    names = getattr(estimator, "feature_names_in_", None)
    return list(names) if names is not None else positional_names(estimator.n_features_in_)


def _names(frame: pd.DataFrame) -> list[str]:
    if all(isinstance(c, str) for c in frame.columns):
        return list(frame.columns)
    return positional_names(frame.shape[1])


def target(y: Any, n_rows: int, *, numeric: bool) -> np.ndarray:
    """``y`` as a 1-D array, one value per row: floats when ``numeric``, else labels (checked to
    be class labels, not continuous values)."""
    if y is None:
        # hint: python-api: only code that calls modelyard directly meets it
        raise InvalidInput("this estimator requires y to be passed, but the target y is None",
                           hint="call fit(X, y) with one target value per row")
    y = column_or_1d(y, warn=True, dtype=np.float64 if numeric else None)
    if len(y) != n_rows:
        # hint: python-api: only code that calls modelyard directly meets it
        raise InvalidInput(f"X has {n_rows} rows but y has {len(y)} values",
                           hint="pass one target value per row of X")
    if y.dtype.kind in "fc":
        assert_all_finite(y, input_name="y")
    if numeric:
        return y
    missing = int(pd.isna(y).sum())
    if missing:
        # hint: python-api: only code that calls modelyard directly meets it
        raise InvalidInput(f"Input y contains {missing} missing label(s)",
                           hint="drop the rows whose label is missing before fitting")
    check_classification_targets(y)  # 'Unknown label type' for continuous values
    return y


def class_labels(y: np.ndarray) -> np.ndarray:
    """The distinct labels of ``y`` in ``np.unique`` order (scikit-learn's ``classes_``)."""
    classes = np.unique(y)
    if len(classes) < 2:
        # hint: python-api: only code that calls modelyard directly meets it
        raise InvalidInput(
            f"a classifier needs at least two classes in y; got one class: {classes.tolist()}",
            hint="fit on rows that include at least two different labels")
    return classes


def seed_of(random_state: Any) -> int:
    """The integer seed of ``random_state``: None is 0 (modelyard's runs are reproducible by
    default; nothing reads numpy's global random state), an int is itself, a ``RandomState``
    gives its next integer."""
    if random_state is None:
        return 0
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    # hint: python-api: only code that calls modelyard directly meets it
    raise InvalidParameter(f"random_state must be None, an int or a RandomState; got "
                           f"{random_state!r}", hint="e.g. random_state=0")
