"""The report's plots as small inline SVG strings, drawn with matplotlib's SVG backend.

Figures are built with :class:`matplotlib.figure.Figure` directly, never through ``pyplot``: no GUI
backend is touched and no global figure state is shared between threads (the same effect as
``matplotlib.use('Agg')`` without changing the process-wide backend). Each SVG is cleaned for
inlining in HTML: no XML declaration, DOCTYPE, metadata or namespace URLs, ``xlink:href`` written as
``href``, every internal id prefixed with the plot's id so several plots can share one page, and any
``://`` left in text written as a character reference so nothing in the page looks like a URL.
Every plot function takes report data (plain dicts and lists) and returns ``None`` when there is
nothing to draw.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure

FIGSIZE = (5.2, 3.6)  # inches; SVG size does not depend on dpi
RC = {"svg.fonttype": "none", "svg.hashsalt": "modelyard", "font.size": 8,
      "axes.titlesize": 10, "svg.image_inline": True}
MAX_IMPORTANCE_BARS = 20
MAX_ANNOTATED_CLASSES = 15  # confusion cells get their counts written up to this many classes
# learning-curve columns that are bookkeeping, not a curve
NOT_CURVES = {"epoch", "iteration", "step", "lr", "epoch_seconds", "samples_per_sec"}


def to_svg(fig: Figure, plot_id: str) -> str:
    """``fig`` as an inline-ready SVG string whose internal ids start with ``plot_id``."""
    buffer = io.StringIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    text = re.sub(r"<\?xml[^>]*\?>\s*", "", text)
    text = re.sub(r"<!DOCTYPE[^>]*>\s*", "", text)
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    text = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", text)
    text = text.replace("xlink:href=", "href=")
    text = re.sub(r'\bid="', f'id="{plot_id}-', text)
    text = text.replace('href="#', f'href="#{plot_id}-').replace("url(#", f"url(#{plot_id}-")
    return text.replace("://", ":&#47;&#47;").strip()


def _styled(draw: Callable[..., str | None]) -> Callable[..., str | None]:
    """Run a plot function under the report's matplotlib settings (read as artists are made)."""

    @functools.wraps(draw)
    def wrapper(*args: Any, **kwargs: Any) -> str | None:
        with matplotlib.rc_context(RC):
            return draw(*args, **kwargs)

    return wrapper


def _figure(title: str) -> tuple[Figure, Any]:
    fig = Figure(figsize=FIGSIZE)
    ax = fig.add_subplot()
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    return fig, ax


def _x_axis(history: Sequence[Mapping[str, Any]]) -> tuple[str, list[float]]:
    for key in ("epoch", "iteration", "step"):
        if all(isinstance(r.get(key), (int, float)) for r in history):
            return key, [float(r[key]) for r in history]
    return "record", [float(i + 1) for i in range(len(history))]


@_styled
def learning_curves(history: Sequence[Mapping[str, Any]], plot_id: str, title: str) -> str | None:
    """Losses (left axis) and other per-epoch metrics (right axis) against the epoch."""
    if len(history) < 2:
        return None
    x_name, x = _x_axis(history)
    keys = [k for k in dict.fromkeys(k for r in history for k in r)
            if k not in NOT_CURVES and all(isinstance(r.get(k), (int, float, type(None)))
                                           and not isinstance(r.get(k), bool) for r in history)]
    if not keys:
        return None
    fig, ax = _figure(title)
    losses = [k for k in keys if "loss" in k]
    others = [k for k in keys if k not in losses]
    right = ax.twinx() if losses and others else ax
    color = 0
    for axis, group in ((ax, losses or others), (right, others if losses else [])):
        for key in group:
            y = [np.nan if r.get(key) is None else float(r[key]) for r in history]
            axis.plot(x, y, label=key, color=f"C{color % 10}",
                      linestyle="--" if axis is not ax else "-")
            color += 1
    ax.set_xlabel(x_name)
    ax.set_ylabel("loss" if losses else "value")
    if right is not ax:
        right.set_ylabel("metric")
    handles = [h for a in {ax, right} for h in a.get_legend_handles_labels()[0]]
    ax.legend(handles=handles, fontsize=7, loc="best")
    return to_svg(fig, plot_id)


@_styled
def roc(curve: Mapping[str, Any] | None, plot_id: str, title: str) -> str | None:
    """ROC curve with the chance diagonal."""
    if not curve:
        return None
    fig, ax = _figure(title)
    ax.plot(curve["fpr"], curve["tpr"], label=f"model (AUC {curve['auc']:.3f})")
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey", label="chance")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", xlim=(0, 1), ylim=(0, 1.02))
    ax.legend(loc="lower right", fontsize=7)
    return to_svg(fig, plot_id)


@_styled
def precision_recall(curve: Mapping[str, Any] | None, plot_id: str, title: str) -> str | None:
    """Precision-recall curve with the prevalence (random classifier) line."""
    if not curve:
        return None
    fig, ax = _figure(title)
    ax.step(curve["recall"], curve["precision"], where="post",
            label=f"model (AP {curve['average_precision']:.3f})")
    ax.axhline(curve["prevalence"], linestyle=":", color="grey", label="random")
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02))
    ax.legend(loc="lower left", fontsize=7)
    return to_svg(fig, plot_id)


@_styled
def confusion(data: Mapping[str, Any] | None, plot_id: str, title: str) -> str | None:
    """Confusion matrix shaded by row share (recall), annotated with counts for few classes."""
    if not data:
        return None
    matrix = np.asarray(data["matrix"])
    share = np.asarray(data["normalized"], dtype=np.float64)
    labels = data["labels"]
    k = len(labels)
    fig, ax = _figure(title)
    ax.grid(False)
    mesh = ax.pcolormesh(share, cmap="Blues", vmin=0, vmax=1, edgecolors="white", linewidth=0.5)
    bar = fig.colorbar(mesh, ax=ax, label="share of true class")
    bar.solids.set_rasterized(False)  # vector, not an embedded PNG
    ticks = np.arange(k) + 0.5
    ax.set_xticks(ticks, labels, rotation=45 if k > 4 else 0, ha="right" if k > 4 else "center")
    ax.set_yticks(ticks, labels)
    ax.invert_yaxis()
    ax.set(xlabel="predicted", ylabel="true")
    if k <= MAX_ANNOTATED_CLASSES:
        for i in range(k):
            for j in range(k):
                ax.text(j + 0.5, i + 0.5, str(matrix[i, j]), ha="center", va="center", fontsize=7,
                        color="white" if share[i, j] > 0.6 else "black")
    return to_svg(fig, plot_id)


@_styled
def calibration(data: Mapping[str, Any] | None, plot_id: str, title: str) -> str | None:
    """Observed frequency against mean predicted probability per bin, with the ideal diagonal."""
    if not data:
        return None
    pairs = zip(data["mean_predicted"], data["observed_frequency"], strict=True)
    points = [(p, o) for p, o in pairs if p is not None]
    if not points:
        return None
    fig, ax = _figure(title)
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey", label="perfectly calibrated")
    ax.plot(*zip(*points, strict=True), marker="o", label="model")
    ax.set(xlabel="mean predicted probability", ylabel="observed frequency", xlim=(0, 1),
           ylim=(0, 1.02))
    ax.legend(loc="upper left", fontsize=7)
    return to_svg(fig, plot_id)


@_styled
def residual_scatter(data: Mapping[str, Any] | None, plot_id: str, title: str) -> str | None:
    """Predicted against actual values (a sample of rows) with the identity line."""
    if not data or not data["sample"]["actual"]:
        return None
    actual, predicted = data["sample"]["actual"], data["sample"]["predicted"]
    fig, ax = _figure(title)
    ax.scatter(actual, predicted, s=6, alpha=0.5, linewidths=0)
    low, high = min(min(actual), min(predicted)), max(max(actual), max(predicted))
    ax.plot([low, high], [low, high], linestyle=":", color="grey")
    ax.set(xlabel="actual", ylabel="predicted")
    return to_svg(fig, plot_id)


@_styled
def residual_histogram(data: Mapping[str, Any] | None, plot_id: str, title: str) -> str | None:
    """Histogram of residuals (actual - predicted)."""
    if not data or not data["histogram"]["counts"]:
        return None
    edges, counts = np.asarray(data["histogram"]["edges"]), data["histogram"]["counts"]
    fig, ax = _figure(title)
    ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", edgecolor="white")
    ax.axvline(0, color="grey", linestyle=":")
    ax.set(xlabel="residual (actual - predicted)", ylabel="rows")
    return to_svg(fig, plot_id)


@_styled
def importance(rows: Sequence[Mapping[str, Any]], plot_id: str, title: str) -> str | None:
    """Horizontal bars of the most important features, with one-standard-deviation whiskers."""
    if not rows:
        return None
    top = list(rows)[:MAX_IMPORTANCE_BARS][::-1]  # largest at the top
    fig, ax = _figure(title)
    fig.set_size_inches(FIGSIZE[0], max(FIGSIZE[1], 0.22 * len(top) + 1.0))
    ax.barh([r["feature"] for r in top], [r["importance_mean"] for r in top],
            xerr=[r["importance_std"] for r in top], error_kw={"elinewidth": 0.8})
    ax.axvline(0, color="grey", linewidth=0.8)
    ax.set_xlabel("drop in score when the column is shuffled")
    return to_svg(fig, plot_id)
