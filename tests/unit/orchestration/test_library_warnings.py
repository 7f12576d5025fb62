"""Library warnings caught around pipeline steps become notes in words, never raw text."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from modelyard.orchestration.library_warnings import LibraryWarnings, to_terminal


def _noisy_steps(caught: LibraryWarnings) -> None:
    step = caught.tracking(lambda text: None)
    step("fitting preprocessing on the training rows")
    for _ in range(3):
        np.nanmean(np.array([np.nan]))  # numpy: Mean of empty slice
    with np.errstate(over="warn"):
        np.array([1e308]) * 10  # numpy: overflow
    step("training logistic")
    X = np.random.default_rng(0).normal(size=(200, 5))
    LogisticRegression(max_iter=1).fit(X, (X[:, 0] > 0).astype(int))  # sklearn: convergence
    warnings.warn("this argument goes away next year", FutureWarning, stacklevel=1)
    pd.read_csv(io.StringIO("a::b\n1::2\n"), sep="::")  # pandas: engine fallback


def test_each_distinct_warning_is_one_note_with_its_step_meaning_and_count(capsys):
    with LibraryWarnings() as caught:
        _noisy_steps(caught)
        notes = caught.take()
    assert capsys.readouterr().err == ""  # nothing reached the terminal
    assert len(notes) == 4, notes  # the FutureWarning speaks to developers only
    empty, overflow, convergence, engine = notes
    assert empty.startswith("while fitting preprocessing on the training rows: a statistic had "
                            "nothing to work with")
    assert empty.endswith("(numpy: Mean of empty slice, 3 times)")
    assert "too large for the arithmetic" in overflow and "data profile" in overflow
    assert convergence.startswith("while training logistic: the solver stopped before it "
                                  "converged") and "max_iter in model.params" in convergence
    assert "(sklearn: lbfgs failed to converge" in convergence
    assert engine.startswith("while training logistic: a ParserWarning came up (pandas: ")
    assert caught.take() == []  # taken once


def test_warnings_are_counted_again_in_the_next_run():
    for _ in range(2):  # Python's default filter would show each place once per process
        with LibraryWarnings() as caught:
            np.nanmean(np.array([np.nan]))
            assert len(caught.take()) == 1


def test_outside_a_step_a_warning_is_one_note_line_without_paths():
    printed: list[str] = []
    with warnings.catch_warnings():
        to_terminal(printed.append)
        warnings.simplefilter("default")
        for _ in range(2):
            np.nanmean(np.array([np.nan]))
        warnings.warn("renamed soon", DeprecationWarning, stacklevel=1)
    assert printed == ["a statistic had nothing to work with (an empty or constant column, or a "
                       "division by zero) and came out as NaN or infinite (numpy: Mean of empty "
                       "slice)"]
