"""Drift check over 1,000,000 logged rows x 100 columns: modelyard against Evidently's data-drift
preset on the same data (issue 20: at least 10x faster, at most 0.5x the peak memory, the same
drifted / not-drifted verdict on every column both compute).

The data (``bench/drift_data.py``): bank_marketing widened to 100 columns (copies of its 16
features, each copy drawn from the real rows on its own, number copies with a little noise),
a reference table of ``--reference-rows`` rows and a current table of ``--rows`` rows in which
52 columns are shifted clearly, 16 a little and 32 not at all.

modelyard is used as a user uses it: a model (logistic, trained by ``modelyard.train`` on part
of the reference rows) whose reference profile is built by ``monitoring.reference`` from the
whole reference table and stored with its run, and the current rows predicted by that model and
written by the server's own ``PredictionLog`` (Parquet files of 1,000 rows a request), so the
check is ``modelyard monitor drift bankdrift:1 --json``. Evidently gets the same reference rows
(a Parquet file) and reads the same log files (``bench/drift_peer.py`` in
``bench/.evidently-venv``, with modelyard's column kinds). Each runs in a fresh process, one after
the other, timed from start to exit (imports and reading included) with its peak resident memory
from ``os.wait4``.

    .venv/bin/python bench/drift.py --setup-peer     # once: bench/.evidently-venv
    .venv/bin/python bench/drift.py                  # 1,000,000 x 100 against 100,000 rows
    .venv/bin/python bench/drift.py --rows 100000 --reference-rows 20000 --no-record   # quick

Adds one record to ``bench/results/drift.json`` through ``bench/record.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import record

ROOT = Path(__file__).resolve().parent.parent
PEER_VENV = ROOT / "bench" / ".evidently-venv"
PEER_REQUIREMENTS = ROOT / "bench" / "evidently-requirements.txt"
SOURCE = Path("/work/shared/data/bank_marketing/bank.csv")
MODEL = "bankdrift"
REQUEST_ROWS = 1_000  # rows per logged request
FILE_ROWS = 50_000  # rows per log file (the server's predlog batch_rows)


def setup_peer() -> None:
    """Create bench/.evidently-venv and install the pinned Evidently (no torch, pandas < 3)."""
    if not (PEER_VENV / "pyvenv.cfg").is_file():
        subprocess.run(["python3", "-m", "venv", str(PEER_VENV)], check=True)
    python = str(PEER_VENV / "bin" / "python")
    subprocess.run([python, "-c", "import sys; assert sys.prefix != sys.base_prefix"], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "-r", str(PEER_REQUIREMENTS)],
                   check=True)
    subprocess.run([python, "-c", "import evidently; print('evidently', evidently.__version__)"],
                   check=True)


def build(work: Path, rows: int, reference_rows: int, train_rows: int) -> dict:
    """The reference Parquet file, a registered model with its reference profile, and the
    prediction log of the current rows under ``work/home``; returns the column kinds."""
    import drift_data
    import pandas as pd

    import modelyard
    from modelyard.data.convert import convert_column
    from modelyard.data.schema import Schema
    from modelyard.monitoring.reference import build_reference, store_reference
    from modelyard.registry.registry import Registry
    from modelyard.serving.predict import predict_records
    from modelyard.serving.predlog import LoggedBatch, PredictionLog
    from modelyard.settings import load_settings

    source = drift_data.source_frame(str(SOURCE))
    reference = drift_data.widened(source, reference_rows, seed=0, shift=False)
    features = [c for c in reference.columns if c != drift_data.TARGET]
    reference[features].to_parquet(work / "reference.parquet")
    home = work / "home"
    started = time.perf_counter()
    result = modelyard.train(reference.iloc[:train_rows], target=drift_data.TARGET,
                             model="logistic", name=MODEL, home=home, seed=0)
    model = result.model
    settings = load_settings(str(home))
    with Registry.open(settings) as registry:
        version = registry.store.resolve(f"{MODEL}:{result.version}")
        schema = Schema.from_dict(version.schema)
        # typed as training types its rows (the profile describes typed values)
        typed = pd.DataFrame({c.name: convert_column(reference[c.name], c.kind, name=c.name,
                                                     errors="coerce")[0]
                              for c in schema.columns})
        profile = build_reference(typed, schema, "binary", model=model,
                                  validation_rows=reference.iloc[-5_000:][features])
        store_reference(registry, version.run_id, profile)
    print(f"trained and profiled in {time.perf_counter() - started:.0f} s", flush=True)
    current = drift_data.widened(source, rows, seed=1, shift=True, reference=reference)[features]
    log = PredictionLog(home / "predictions", batch_rows=FILE_ROWS, flush_s=3600).start()
    for start in range(0, rows, FILE_ROWS):
        part = current.iloc[start:start + FILE_ROWS]
        outputs = predict_records(model, part)
        for lo in range(0, len(part), REQUEST_ROWS):
            log.append(LoggedBatch(MODEL, result.version, f"{MODEL}:{result.version}",
                                   f"req-{start + lo}", datetime.now(UTC),
                                   part.iloc[lo:lo + REQUEST_ROWS].reset_index(drop=True),
                                   outputs.iloc[lo:lo + REQUEST_ROWS].reset_index(drop=True)))
        while log._queue.qsize() > 200:  # keep the writer's backlog (memory) small
            time.sleep(0.05)
    log.close(timeout=600)
    kinds = {c["name"]: "numerical" if c["kind"] == "numeric" else "categorical"
             for c in profile.schema}
    print(f"built in {time.perf_counter() - started:.0f} s: kinds "
          f"{sum(v == 'numerical' for v in kinds.values())} numerical, "
          f"{sum(v == 'categorical' for v in kinds.values())} categorical", flush=True)
    return {"kinds": kinds, "version": result.version,
            "planned": {name: drift_data.expected_drift(name) for name in kinds}}


def measured(command: list[str], env: dict | None = None, cwd: Path | None = None) -> dict:
    """Run ``command`` in a fresh process: wall seconds, peak RSS (MB) and its stdout."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, env=env, cwd=cwd)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode()
    if child.returncode != 0:
        raise RuntimeError(f"{command[:3]} exited {child.returncode}")
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "stdout": text}


def run_modelyard(home: Path, version: int) -> tuple[dict, dict]:
    env = {**os.environ, "MODELYARD_HOME": str(home)}
    env.pop("MODELYARD_DB", None)
    cli = str(Path(sys.executable).parent / "modelyard")
    done = measured([cli, "monitor", "drift", f"{MODEL}:{version}", "--json"], env=env)
    report = json.loads(done.pop("stdout"))
    return done, report


def run_evidently(work: Path, kinds: dict) -> tuple[dict, dict]:
    python = PEER_VENV / "bin" / "python"
    if not python.is_file():
        raise SystemExit(f"no Evidently venv at {PEER_VENV}: run bench/drift.py --setup-peer")
    log = work / "home" / "predictions" / MODEL / "v1"
    (work / "job.json").write_text(json.dumps({
        "reference": str(work / "reference.parquet"), "log": str(log), "kinds": kinds}))
    done = measured([str(python), str(ROOT / "bench" / "drift_peer.py"), str(work)], cwd=work)
    done.pop("stdout")
    return done, json.loads((work / "result.json").read_text())


def compare(report: dict, peer: dict, planned: dict[str, bool]) -> dict:
    """Per-column verdicts side by side, the disagreements with both sides' statistics."""
    mine = {c["name"]: c for c in report["columns"]}
    both = sorted(set(mine) & set(peer["columns"]))
    rows, disagree = [], []
    for name in both:
        m, e = mine[name], peer["columns"][name]
        row = {"column": name, "planned_drift": planned[name],
               "modelyard": m["drifted"], "evidently": e["drifted"],
               "modelyard_reasons": list(m["reasons"]),
               "modelyard_psi": m["statistics"].get("psi"), "modelyard_ks": m["statistics"].get(
                   "ks"), "modelyard_js": m["statistics"].get("js"),
               "evidently_method": e["method"], "evidently_value": e["value"]}
        rows.append(row)
        if m["drifted"] != e["drifted"]:
            disagree.append(row)
    return {"compared": len(both), "agree": len(both) - len(disagree),
            "disagreements": disagree, "columns": rows,
            "modelyard_drifted": sum(r["modelyard"] for r in rows),
            "evidently_drifted": sum(r["evidently"] for r in rows),
            "planned_drifted": sum(r["planned_drift"] for r in rows),
            "match_plan": {"modelyard": sum(r["modelyard"] == r["planned_drift"] for r in rows),
                           "evidently": sum(r["evidently"] == r["planned_drift"] for r in rows)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup-peer", action="store_true",
                        help="create bench/.evidently-venv from bench/evidently-requirements.txt")
    parser.add_argument("--rows", type=int, default=1_000_000, help="current (logged) rows")
    parser.add_argument("--reference-rows", type=int, default=100_000)
    parser.add_argument("--train-rows", type=int, default=20_000,
                        help="reference rows the model is trained on (the profile uses all)")
    parser.add_argument("--work", type=Path, help="keep the built data here (reused if built)")
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-record", action="store_true", help="print, do not record")
    args = parser.parse_args()
    if args.setup_peer:
        setup_peer()
        return
    if args.build:
        started = time.perf_counter()
        info = build(args.work, args.rows, args.reference_rows, args.train_rows)
        info["build_s"] = round(time.perf_counter() - started, 1)
        (args.work / "built.json").write_text(json.dumps(info))
        return
    stamper = record.Stamper(("pyarrow", "scipy"))
    with tempfile.TemporaryDirectory(prefix="modelyard-drift-bench-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        built = work / "built.json"
        if not built.is_file():  # in its own process: a child forked from a process holding
            # the tables would count their pages in its peak memory
            subprocess.run([sys.executable, __file__, "--build", "--work", str(work),
                            "--rows", str(args.rows), "--reference-rows",
                            str(args.reference_rows), "--train-rows", str(args.train_rows)],
                           check=True)
        info = json.loads(built.read_text())
        stamper.start()
        mine, report = run_modelyard(work / "home", info["version"])
        print(f"modelyard: {mine['seconds']:.1f} s, {mine['peak_rss_mb']:,} MB; "
              f"{report['rows']:,} rows", flush=True)
        peer, peer_result = run_evidently(work, info["kinds"])
        print(f"evidently: {peer['seconds']:.1f} s, {peer['peak_rss_mb']:,} MB; "
              f"phases {peer_result['seconds']}", flush=True)
    verdicts = compare(report, peer_result, info["planned"])
    out = {
        "rows": args.rows, "reference_rows": args.reference_rows,
        "columns": len(info["kinds"]), "build_s": info.get("build_s"),
        "modelyard": {**mine, "rows": report["rows"], "drifted": report["drifted"],
                      "score": report["score"], "thresholds": report["thresholds"]},
        "evidently": {**peer, "phases_s": peer_result["seconds"],
                      "drifted_share": peer_result["drifted_share"],
                      "drifted": peer_result["drifted_share"] >= 0.5,
                      "versions": peer_result["versions"]},
        "speedup": round(peer["seconds"] / mine["seconds"], 2),
        "memory_ratio": round(mine["peak_rss_mb"] / peer["peak_rss_mb"], 3),
        "verdicts": verdicts,
        "stamp": stamper.stamp(),
    }
    print(f"speed: {out['speedup']:.1f}x; memory: {out['memory_ratio']:.2f}x; verdicts agree on "
          f"{verdicts['agree']} of {verdicts['compared']} columns "
          f"(drifted: modelyard {verdicts['modelyard_drifted']}, evidently "
          f"{verdicts['evidently_drifted']}, planned {verdicts['planned_drifted']})")
    for row in verdicts["disagreements"]:
        print("  disagree:", json.dumps(row, default=str))
    if not args.no_record:
        record.add("drift", [out], key=lambda r: (r["rows"], r["reference_rows"], r["columns"]))


if __name__ == "__main__":
    main()
