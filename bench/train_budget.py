"""How long a whole timed ``modelyard train`` takes against its ``--time-budget``.

The issue asks that a whole ``train`` (reading, splitting, the search, the in-sample metrics,
saving, the final evaluation with importance and latency, registering) finish within the budget
plus a small fixed overhead. This runs ``modelyard.pipeline.train`` on catalog datasets with a
search spec, times every step the pipeline reports, and prints the ratio of the whole run to the
budget. Data come from ``../shared/data`` (id and leaky columns dropped, as the catalog says).

    .venv/bin/python bench/train_budget.py                                 # 4 datasets, 60 s
    .venv/bin/python bench/train_budget.py --datasets bank_marketing --budgets 60 300

Adds its records to ``bench/results/train_budget.json`` (through ``bench/record.py``: stamped with
the commit, library versions, cores, load and command; the records of other commits, datasets and
budgets stay, and a record this run redoes is kept, marked superseded), so the same script run
against an older checkout (``PYTHONPATH=<old checkout>/src``) shows the before and after side by
side; prints the table of the current records.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import record
import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
# plain CSV files with a header: the pipeline reads them as they ship
DATASETS = ("bank_marketing", "california_housing", "diamonds", "telco_churn",
            "house_prices_ames")
DEFAULT = ("bank_marketing", "california_housing", "diamonds", "telco_churn")


def spec_for(name: str, budget: float, seed: int) -> dict:
    entry = yaml.safe_load((DATA / "catalog.yaml").read_text())[name]
    drop = list(entry.get("id_columns", [])) + list(entry.get("leaky_columns", []))
    return {
        "name": f"bench-{name}",
        "data": {"source": {"path": str(DATA / entry["path"])}, "target": entry["target"],
                 "drop": drop},
        "search": {"time_budget": budget},
        "seed": seed,
    }


def run(name: str, budget: float, seed: int, home: Path) -> dict:
    from modelyard.pipeline import train
    from modelyard.settings import load_settings
    from modelyard.spec import validate_spec

    steps: list[tuple[str, float]] = []
    started = time.perf_counter()

    def on_step(message: str) -> None:
        steps.append((message, round(time.perf_counter() - started, 2)))

    result = train(validate_spec(spec_for(name, budget, seed)), load_settings(home),
                   on_step=on_step)
    seconds = time.perf_counter() - started
    return {
        "dataset": name, "budget": budget, "seed": seed, "seconds": round(seconds, 2),
        "ratio": round(seconds / budget, 3), "search_seconds": round(result.fit_seconds, 2),
        "trials": len(result.leaderboard or []), "learner": result.learner,
        "test": result.metrics.get("test", {}).get(result.primary_metric),
        "metric": result.primary_metric, "steps": steps,
        "notes": [n for n in result.notes if n.startswith(("the search had", "train metrics"))],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DEFAULT),
                        help=f"any of {', '.join(DATASETS)}")
    parser.add_argument("--budgets", nargs="+", type=float, default=[60.0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--merge", action="store_true",
                        help="accepted for older command lines: records are always added")
    parser.add_argument("--commit", help="the code measured, as the table shows it (default: the "
                        "commit of the modelyard imported, from its repository)")
    args = parser.parse_args()
    unknown = sorted(set(args.datasets) - set(DATASETS))
    if unknown:
        raise SystemExit(f"unknown dataset(s) {unknown}; valid: {', '.join(DATASETS)}")
    stamper = record.Stamper(("pyyaml",))
    commit = args.commit or (stamper.static["commit"] or "unknown")[:7]
    with tempfile.TemporaryDirectory(prefix="modelyard-bench-") as home:
        for name in args.datasets:
            for budget in args.budgets:
                stamper.start()
                done = run(name, budget, args.seed, Path(home))
                done["commit"] = commit
                done["stamp"] = stamper.stamp()
                record.add("train_budget", [done], key=_key)
                print(f"  {name:20s} {budget:>5g} s budget: {done['seconds']} s "
                      f"(x{done['ratio']}), search {done['search_seconds']} s", flush=True)
    print()
    print(table(record.current("train_budget")))


def table(records: list[dict]) -> str:
    """Whole train against the budget, one row per dataset, budget and commit."""
    lines = ["| dataset | budget | commit | whole train | / budget | search | trials | test |",
             "|---|---|---|---|---|---|---|---|"]
    for r in sorted(records, key=lambda r: (r["dataset"], r["budget"])):
        lines.append(f"| {r['dataset']} | {r['budget']:g} s | {r['commit']} | "
                     f"{r['seconds']:.1f} s | {r['ratio']:.2f} | {r['search_seconds']:.1f} s | "
                     f"{r['trials']} | {r['metric']} {r['test']:.4g} |")
    return "\n".join(lines)


def _key(r: dict) -> tuple:
    return r["dataset"], r["budget"], r["seed"], r["commit"]


if __name__ == "__main__":
    main()
