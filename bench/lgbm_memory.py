"""Peak memory of training LightGBM through modelyard against LightGBM called directly.

Each variant runs in its own subprocess so that its peak resident set size (ru_maxrss) is its own.
Data: the largest tabular benchmark set in ../shared/data (diamonds, 53,940 rows, by default).
Target (issue 3): modelyard's peak at most 1.5 times the direct call's.

    .venv/bin/python bench/lgbm_memory.py [--data PATH --target COLUMN --rounds N]

Each variant's imports alone are measured too (a process that imports what the variant imports and
nothing else), which tells how much of the difference is code rather than data. Adds one record
(the peaks, trees, the ratio) to ``bench/results/lgbm_memory.json`` through ``bench/record.py``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import record

DIRECT = """
import json, resource, sys
import lightgbm as lgb, pandas as pd
path, target, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
frame = pd.read_csv(path)
y = frame.pop(target)
for col in frame.columns:
    if frame[col].dtype == object or str(frame[col].dtype) in ("str", "string"):
        frame[col] = frame[col].astype("category")
booster = lgb.train({"objective": "regression", "verbose": -1, "num_threads": 1, "seed": 0},
                    lgb.Dataset(frame, y), num_boost_round=rounds)
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "trees": booster.num_trees()}))
"""

MODELYARD = """
import json, resource, sys
from modelyard.model import fit_model
from modelyard.pipeline import prepare
from modelyard.spec import validate_spec
path, target, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
spec = validate_spec({"data": {"source": {"path": path}, "target": target},
                      "task": "regression", "split": {"train": 0.999, "validation": 0.0005,
                                                      "test": 0.0005}})
prepared = prepare(spec)
frame, split = prepared.dataset.frame, prepared.split
X = frame.iloc[split.train][prepared.dataset.features]
fitted = fit_model(X, prepared.y[split.train], schema=prepared.dataset.schema, task="regression",
                   learner="lightgbm", params={"n_estimators": rounds}, seed=0, threads=1)
print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "trees": fitted.bundle.learner.n_trees_}))
"""


def imports_only(code: str) -> str:
    """The import lines of a variant, then its peak: what importing alone costs."""
    lines = [line for line in code.splitlines() if line.startswith(("import ", "from "))]
    return "\n".join([*lines, 'print(json.dumps({"peak_mb": resource.getrusage('
                       'resource.RUSAGE_SELF).ru_maxrss / 1024, "trees": 0}))'])


def run(code: str, args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data/diamonds/diamonds.csv")
    parser.add_argument("--target", default="price")
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    stamper = record.Stamper()
    argv = [args.data, args.target, str(args.rounds)]
    direct, ours = run(DIRECT, argv), run(MODELYARD, argv)
    direct_imports, our_imports = run(imports_only(DIRECT), []), run(imports_only(MODELYARD), [])
    ratio = ours["peak_mb"] / direct["peak_mb"]
    print(f"{'variant':<12}{'peak MB':>10}{'trees':>8}")
    print(f"{'lightgbm':<12}{direct['peak_mb']:>10.1f}{direct['trees']:>8}")
    print(f"{'modelyard':<12}{ours['peak_mb']:>10.1f}{ours['trees']:>8}")
    print(f"ratio modelyard/lightgbm: {ratio:.2f} (target <= 1.5)")
    print(f"imports alone: lightgbm {direct_imports['peak_mb']:.1f} MB, "
          f"modelyard {our_imports['peak_mb']:.1f} MB")
    done = {"data": args.data, "target": args.target, "rounds": args.rounds,
            "lightgbm_peak_mb": round(direct["peak_mb"], 1), "lightgbm_trees": direct["trees"],
            "modelyard_peak_mb": round(ours["peak_mb"], 1), "modelyard_trees": ours["trees"],
            "lightgbm_imports_mb": round(direct_imports["peak_mb"], 1),
            "modelyard_imports_mb": round(our_imports["peak_mb"], 1),
            "ratio": round(ratio, 4), "stamp": stamper.stamp()}
    record.add("lgbm_memory", [done], key=lambda r: (r["data"], r["target"], r["rounds"]))


if __name__ == "__main__":
    main()
