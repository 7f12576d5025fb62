"""One ranking and one cell format for the leaderboard: the CLI table, the HTML report and the
DataFrame all put the best trial first, by the search metric's own direction."""

from __future__ import annotations

import re

import pytest
from rich.console import Console

from modelyard.cli import render
from modelyard.evaluation.leaderboard import Leaderboard
from modelyard.evaluation.report_html import _leaderboard_table

# an rmse search where the first trial is the worst and no trial carries an ensemble weight
ROWS = (
    {"trial": 0, "learner": "linear", "status": "ok", "score": 9.5, "fit_seconds": 0.1},
    {"trial": 1, "learner": "lightgbm", "status": "ok", "score": 2.25, "fit_seconds": 0.2},
    {"trial": 2, "learner": "lightgbm", "status": "failed", "score": None, "fit_seconds": 0.0},
    {"trial": 3, "learner": "lightgbm", "status": "ok", "score": 4.0, "fit_seconds": 0.2},
)


def test_lower_is_better_ranks_the_smallest_error_first_everywhere(monkeypatch):
    board = Leaderboard("rmse", greater_is_better=False, rows=ROWS)
    assert [r["trial"] for r in board.ranked()] == [1, 3, 0, 2]  # failed trials last
    assert list(board()["trial"]) == [1, 3, 0, 2] and board().attrs["metric"] == "rmse"
    assert board.best["trial"] == 1

    console = Console(record=True, width=200)
    monkeypatch.setattr(render, "console", console)
    render.render_leaderboard(board)
    printed = console.export_text()
    assert "rmse (lower is better)" in printed
    trials = [int(m) for m in re.findall(r"^\W*(\d+) \W+(?:linear|lightgbm)", printed, re.M)]
    assert trials == [1, 3, 0, 2]

    html = _leaderboard_table({"leaderboard": list(ROWS),
                               "leaderboard_metric": board.about()})
    assert [int(t) for t in re.findall(r"<tr><td>(\d+)</td>", html)] == [1, 3, 0, 2]


def test_greater_is_better_ranks_the_largest_score_first():
    board = Leaderboard("roc_auc", greater_is_better=True, rows=ROWS)
    assert [r["trial"] for r in board.ranked()] == [0, 3, 1, 2]
    assert board.cells()[0][3] == "9.5" and board.headings()[3] == "roc_auc (higher is better)"
    assert len(board) == 4 and [r["trial"] for r in board] == [0, 1, 2, 3]  # iterates in order
    assert board.to_frame()["score"].iloc[0] == pytest.approx(9.5)
