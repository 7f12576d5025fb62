"""How long a whole timed ``modelyard train`` takes against its ``--time-budget``.

The issue asks that a whole ``train`` (reading, splitting, the search, the in-sample metrics,
saving, the final evaluation with importance and latency, registering) finish within the budget
plus a small fixed overhead. This runs ``modelyard.pipeline.train`` on catalog datasets with a
search spec, times every step the pipeline reports, and prints the ratio of the whole run to the
budget. Data come from ``../shared/data`` (id and leaky columns dropped, as the catalog says).

    .venv/bin/python bench/train_budget.py                                 # 4 datasets, 60 s
    .venv/bin/python bench/train_budget.py --datasets bank_marketing --budgets 60 300

Writes a markdown table to stdout and the records to ``bench/results/train_budget.json``; with
``--merge`` the records of other commits, datasets and budgets already there are kept, so the same
script run against an older checkout (``PYTHONPATH=<old checkout>/src``, ``--commit`` naming it)
shows the before and after side by side.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "bench" / "results" / "train_budget.json"
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
    parser.add_argument("--merge", action="store_true", help="keep the other records in the file")
    parser.add_argument("--commit", help="the code measured (default: this checkout's HEAD)")
    args = parser.parse_args()
    unknown = sorted(set(args.datasets) - set(DATASETS))
    if unknown:
        raise SystemExit(f"unknown dataset(s) {unknown}; valid: {', '.join(DATASETS)}")
    commit = args.commit or subprocess.run(["git", "rev-parse", "--short", "HEAD"],
                                           capture_output=True, text=True, cwd=ROOT).stdout.strip()
    records = []
    with tempfile.TemporaryDirectory(prefix="modelyard-bench-") as home:
        for name in args.datasets:
            for budget in args.budgets:
                record = run(name, budget, args.seed, Path(home))
                record["commit"] = commit
                records.append(record)
                print(f"  {name:20s} {budget:>5g} s budget: {record['seconds']} s "
                      f"(x{record['ratio']}), search {record['search_seconds']} s", flush=True)
    if args.merge and OUT.is_file():
        done = {_key(r) for r in records}
        records = [r for r in json.loads(OUT.read_text())["records"] if _key(r) not in done] \
            + records
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"records": records}, indent=2))
    print("\n| dataset | budget | commit | whole train | / budget | search | trials | test |")
    print("|---|---|---|---|---|---|---|---|")
    for r in sorted(records, key=lambda r: (r["dataset"], r["budget"])):
        print(f"| {r['dataset']} | {r['budget']:g} s | {r['commit']} | {r['seconds']:.1f} s | "
              f"{r['ratio']:.2f} | {r['search_seconds']:.1f} s | {r['trials']} | "
              f"{r['metric']} {r['test']:.4g} |")


def _key(record: dict) -> tuple:
    return record["dataset"], record["budget"], record["seed"], record["commit"]


if __name__ == "__main__":
    main()
