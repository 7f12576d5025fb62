"""The AutoML benchmark's table and target lines, from the records of ``bench/results/automl.json``.

Kept apart from ``bench/automl.py`` (which imports the learners and the data) so that
``bench/tables.py`` can build the README's tables with nothing heavier than this module.
"""

from __future__ import annotations

from statistics import mean

DATASETS = ("adult", "bank_marketing", "california_housing", "credit_g", "phoneme", "kc1",
            "diamonds", "house_prices_ames", "telco_churn", "vehicle_insurance_fraud", "ai4i2020")
SYSTEMS = ("modelyard", "flaml", "autogluon", "lightgbm", "hgb", "catboost", "modelyard_catboost")
LOWER_IS_BETTER = {"rmse"}


def markdown(records: list[dict], systems: list[str]) -> str:
    """One row per dataset, budget and core count; the best score of a row in bold."""
    lines = ["| dataset | metric | budget | cores | seed | " + " | ".join(systems) + " |",
             "|---|---|---|---|---|" + "---|" * len(systems)]
    keys = sorted({(r["dataset"], *_setting(r)) for r in records},
                  key=lambda k: (k[3], -(k[2] or 0), k[1], DATASETS.index(k[0])
                                 if k[0] in DATASETS else 99))
    for dataset, budget, cores, seed in keys:
        row = {r["system"]: r for r in records if (r["dataset"], *_setting(r)) ==
               (dataset, budget, cores, seed)}
        metric = next(iter(row.values()))["metric"]
        scores = {s: row[s]["score"] for s in systems if s in row and row[s]["score"] is not None}
        best = (min if metric in LOWER_IS_BETTER else max)(scores.values()) if scores else None
        cells = []
        for system in systems:
            value = scores.get(system)
            text = "–" if system not in row else "n/a" if value is None else cell(value)
            cells.append(f"**{text}**" if value is not None and value == best else text)
        lines.append(f"| {dataset} | {metric} | {budget:g} s | {cores} | {seed} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


def cell(value: float) -> str:
    """A score as the tables show it: 4 decimals, or a whole number with thousands separators."""
    return f"{value:.4f}" if value < 100 else f"{value:,.0f}"


def _setting(record: dict) -> tuple[float, int | None, int]:
    """What a row of the table shares: budget, cores and split seed."""
    return record["budget"], record.get("cores"), record.get("seed", 0)


def _better(metric: str, ours: float, theirs: float) -> float:
    """Relative advantage of ``ours`` over ``theirs`` (positive: ours is better)."""
    gain = (theirs - ours) if metric in LOWER_IS_BETTER else (ours - theirs)
    return gain / abs(theirs)


def summary(records: list[dict]) -> str:
    """The issue's targets per budget, cores and split seed: wins over FLAML, mean gap to
    AutoGluon, worst gap to LightGBM defaults; then the mean gap to LightGBM over split seeds."""
    lines = []
    settings = sorted({_setting(r) for r in records if r["system"] == "modelyard"})
    for setting in settings:
        for peer, what in (("flaml", "wins"), ("autogluon", "mean"), ("lightgbm", "worst")):
            gaps = _gaps(records, setting, peer)
            if not gaps:
                continue
            if what == "wins":
                text = f"better than FLAML on {sum(g > 0 for g in gaps.values())} of {len(gaps)}"
            elif what == "mean":
                text = (f"mean relative gap to AutoGluon "
                        f"{100 * sum(gaps.values()) / len(gaps):+.2f}% over {len(gaps)}")
            else:
                worst = min(gaps, key=gaps.get)
                behind = sorted(n for n, g in gaps.items() if g < -0.01)
                text = (f"worst relative gap to LightGBM defaults {100 * gaps[worst]:+.2f}% "
                        f"({worst}); more than 1% behind on {len(behind)} of {len(gaps)}"
                        + (f": {', '.join(behind)}" if behind else ""))
            budget, cores, seed = setting
            lines.append(f"- {_where(budget, cores)}, split seed {seed}: {text}")
    for budget, cores in sorted({setting[:2] for setting in settings}):
        same = [setting for setting in settings if setting[:2] == (budget, cores)]
        by_dataset: dict[str, list[float]] = {}
        for setting in same:
            for name, gap in _gaps(records, setting, "lightgbm").items():
                by_dataset.setdefault(name, []).append(gap)
        if len(same) > 1:
            lines.append(f"- {_where(budget, cores)}, every split seed: "
                         + "; ".join(_counts(records, same, peer) for peer in ("flaml", "lightgbm")
                                     if _counts(records, same, peer)))
        several = {name: g for name, g in sorted(by_dataset.items()) if len(g) > 1}
        if several:
            text = ", ".join(f"{name} {100 * mean(g):+.2f}% over {len(g)} seeds"
                             for name, g in several.items())
            lines.append(f"- {_where(budget, cores)}: mean gap to LightGBM defaults: {text}")
    return "\n".join(lines)


def _where(budget: float, cores: int | None) -> str:
    return f"{budget:g} s, {cores} core{'' if cores == 1 else 's'}"


def _counts(records: list[dict], settings: list[tuple], peer: str) -> str:
    """How many dataset-splits of ``settings`` modelyard is ahead of ``peer`` on (and, for
    LightGBM's defaults, more than 1% behind on)."""
    gaps = [g for setting in settings for g in _gaps(records, setting, peer).values()]
    if not gaps:
        return ""
    name = {"flaml": "FLAML", "lightgbm": "LightGBM defaults"}[peer]
    text = f"better than {name} on {sum(g > 0 for g in gaps)} of {len(gaps)} dataset-splits"
    if peer == "lightgbm":
        text += f", more than 1% behind on {sum(g < -0.01 for g in gaps)}"
    return text


def _gaps(records: list[dict], setting: tuple, peer: str) -> dict[str, float]:
    """modelyard's relative advantage over ``peer`` per dataset at ``setting``. LightGBM
    defaults do not depend on budget or cores: only the split seed has to match."""
    ours = {r["dataset"]: r for r in records if r["system"] == "modelyard"
            and _setting(r) == setting and r["score"] is not None}
    return {r["dataset"]: _better(r["metric"], ours[r["dataset"]]["score"], r["score"])
            for r in records if r["system"] == peer and r["score"] is not None
            and r["dataset"] in ours
            and (_setting(r) == setting if peer != "lightgbm" else _setting(r)[2] == setting[2])}
