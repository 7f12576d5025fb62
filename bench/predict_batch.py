"""Batch prediction throughput: ``modelyard predict`` on a file, against LightGBM's own predict.

One run trains the churn model of ``bench/serve.py`` (LightGBM, 200 trees, full Telco table),
registers it in a temporary store, writes the Telco feature rows repeated to ``--rows`` rows as a
Parquet file (and a 1,000-row one), and measures, best of ``--repeats``:

- **CLI**: ``modelyard predict churn@production ROWS.parquet -o OUT.parquet`` in a new process,
  end to end (start-up, reading, checks, preprocessing, LightGBM, writing the answers); and the
  marginal rate between the 1,000-row and the large file, which leaves the start-up out;
- **in process**: ``bundle.predict_frame`` on the rows already in memory (schema check,
  preprocessing, LightGBM);
- **floor**: the LightGBM booster's own predict on the already-encoded matrix, the same threads.

Rows per second per core divide by the cores LightGBM used (all of this machine's). Target
(issue 19): at least 100,000 rows/s per core through ``modelyard predict``.

    .venv/bin/python bench/predict_batch.py
    .venv/bin/python bench/predict_batch.py --rows 200000 --repeats 5

Adds one record to ``bench/results/predict_batch.json`` through ``bench/record.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import record
from predict_latency import best_of
from serve import REF, train_and_register

TARGET_PER_CORE = 100_000


def cli_seconds(home: Path, source: Path, out: Path, repeats: int) -> float:
    """Best wall time of ``modelyard predict`` on ``source`` in a new process."""
    env = {**os.environ, "MODELYARD_HOME": str(home)}
    command = [sys.executable, "-m", "modelyard", "predict", REF, str(source), "-o", str(out)]

    def run() -> None:
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(done.stdout + done.stderr)

    return best_of(run, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=105_645, help="rows of the large file")
    parser.add_argument("--repeats", type=int, default=3, help="timings per measurement (best)")
    args = parser.parse_args()
    stamper = record.Stamper(("lightgbm", "pandas", "pyarrow"))
    cores = os.cpu_count() or 1

    with tempfile.TemporaryDirectory(prefix="modelyard-bench-batch-") as tmp:
        home = Path(tmp)
        features, _ = train_and_register(home, "lightgbm")
        copies = -(-args.rows // len(features))
        rows = pd.concat([features] * copies, ignore_index=True).iloc[: args.rows]
        large, small = home / "rows.parquet", home / "rows_1000.parquet"
        rows.to_parquet(large)
        rows.iloc[:1000].to_parquet(small)

        cli_large = cli_seconds(home, large, home / "out.parquet", args.repeats)
        cli_small = cli_seconds(home, small, home / "out_small.parquet", args.repeats)

        from modelyard.registry.registry import Registry
        from modelyard.settings import Settings

        with Registry.open(Settings(home=home)) as registry:
            bundle = registry.load(REF).model
        in_process = best_of(lambda: bundle.predict_frame(rows), args.repeats)
        encoded = bundle.transform(rows)
        floor = best_of(lambda: bundle.learner.predict_proba(encoded), args.repeats)

    rate = {
        "cli_end_to_end": args.rows / cli_large,
        "cli_marginal": (args.rows - 1000) / max(cli_large - cli_small, 1e-9),
        "in_process_predict_frame": args.rows / in_process,
        "lightgbm_floor": args.rows / floor,
    }
    result = {
        "rows": args.rows,
        "repeats": args.repeats,
        "cores": cores,
        "seconds": {"cli_large": cli_large, "cli_1000": cli_small, "in_process": in_process,
                    "floor": floor},
        "rows_per_s": rate,
        "rows_per_s_per_core": {k: v / cores for k, v in rate.items()},
        "ratio_cli_marginal_to_floor": rate["cli_marginal"] / rate["lightgbm_floor"],
        "target_per_core": TARGET_PER_CORE,
        "stamp": stamper.stamp(),
    }  # fmt: skip
    record.add("predict_batch", [result], key=lambda r: (r["rows"],))
    print(json.dumps({k: v for k, v in result.items() if k != "stamp"}, indent=2))


if __name__ == "__main__":
    main()
