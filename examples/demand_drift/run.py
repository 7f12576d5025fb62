"""A real drift, caught and acted on: bike-sharing demand (hourly users, 2011-2012).

Train on the first months (winter), serve the model, replay the later months through the HTTP
server one day (24 hourly rows) per request, send the observed users back as feedback, and after
each month let `modelyard watch --once` check the drift trigger and retrain. The spec's source is
a CSV file this script appends each replayed month to once its truth is known, so a retrain reads
the data up to "now". A challenger takes `production` only when it beats the champion on the same
fresh test rows (the latest hours).

    python examples/demand_drift/run.py                       # Jan-Mar 2011, then the rest
    python examples/demand_drift/run.py --until 2011-07-01    # replay Apr-Jun 2011 only

Everything lands in --workdir (a fresh MODELYARD_HOME, the growing source, the spec, the server's
log); --summary FILE writes what happened as JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from replay import MODEL, TARGET, Modelyard, feedback, replay, serving, wait_logged  # noqa: E402

RMSE_MAE = ("rmse", "mae")
DATA = Path("/work/shared/data/bike_sharing/bike_hourly_skforecast_clean.csv")
SPEC = """\
name: {model}
data:
  source: {{path: {source}}}
  target: {target}
task: regression
split: {{method: time, time_column: date_time}}   # test = the latest hours
model:
  learner: lightgbm
  params: {{n_estimators: 300, learning_rate: 0.05}}
seed: 0
retrain:
  alias: production
  margin: 0.0                 # better at all, with the paired interval above 0
  triggers:
    drift: true               # the drift verdict over the version's prediction log
"""


def say(text: str = "") -> None:
    print(text, flush=True)


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=DATA, help="bike_hourly_skforecast_clean.csv")
    p.add_argument("--train-until", default="2011-04-01", help="train on the hours before this")
    p.add_argument("--until", default="2013-01-01", help="replay the hours before this")
    p.add_argument("--workdir", type=Path, default=Path("demand_drift_run"))
    p.add_argument("--summary", type=Path, help="write what happened here as JSON")
    args = p.parse_args(argv)

    hours = pd.read_csv(args.data, dtype={"date_time": str}).sort_values("date_time")
    first = hours[hours["date_time"] < args.train_until]
    later = hours[(hours["date_time"] >= args.train_until) & (hours["date_time"] < args.until)]
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    work = args.workdir.resolve()
    source, my = work / "bikes.csv", Modelyard(work / "home")
    first.to_csv(source, index=False)
    (work / "spec.yaml").write_text(SPEC.format(model=MODEL, source=source, target=TARGET))

    say(f"== 1. train {MODEL} on {len(first)} hours, {first['date_time'].min()[:10]} .. "
        f"{first['date_time'].max()[:10]} (mean {first[TARGET].mean():.0f} users/hour)")
    trained = my.json("train", str(work / "spec.yaml"))
    test = trained["metrics"]["test"]
    say(f"   v{trained['version']}: test rmse {test['rmse']:.1f}, mae {test['mae']:.1f} "
        "(the last 15% of those hours)")
    my.run("models", "promote", MODEL, str(trained["version"]))
    key = my.json("keys", "create", "--name", "demand-drift-demo")["key"]
    summary: dict = {"train_rows": len(first), "test_metrics": test, "months": []}

    with serving(my, work / "server.log") as url, httpx.Client(
            base_url=url, timeout=60, headers={"Authorization": f"Bearer {key}"}) as client:
        say(f"== 2. serving at {url}; replaying {len(later)} hours, one request per day")
        logged = 0
        for month, rows in later.groupby(later["date_time"].str[:7], sort=True):
            started = time.time()
            answered = replay(client, rows)
            logged += len(answered)
            wait_logged(my.home, logged)
            with source.open("a") as out:  # the month's truth is known now: the source grows
                rows.to_csv(out, header=False, index=False)
            fed = feedback(client, answered)
            version = int(answered["version"].iloc[-1])
            summary["months"].append(month_report(my, month, rows, answered, fed, version,
                                                  started))

    shown = my.json("models", "show", MODEL)
    production = shown["model"]["aliases"].get("production")
    summary["production"] = production
    summary["retraining"] = shown.get("retraining", [])
    say(f"== 3. at the end, production is {MODEL} v{production}")
    for d in reversed(summary["retraining"]):
        say(f"   v{d['champion_version']} -> v{d['challenger_version']} ({d['trigger']}): "
            f"{'PROMOTED' if d['promoted'] else 'kept'}")
    if args.summary:
        args.summary.write_text(json.dumps(summary, indent=2, default=str))
    return summary


def month_report(my: Modelyard, month: str, rows: pd.DataFrame, answered: pd.DataFrame,
                 fed: dict, version: int, started: float) -> dict:
    """Drift, live performance and the watcher's pass after one replayed month, printed."""
    ref = f"{MODEL}:{version}"
    mae = float((answered["prediction"] - answered["truth"]).abs().mean())
    say(f"-- {month}: {len(rows)} hours answered by v{version}; mean {rows[TARGET].mean():.0f} "
        f"users/hour, predicted {answered['prediction'].mean():.0f}; {fed['stored']} labels fed "
        "back")
    began = datetime.fromtimestamp(started - 1, UTC).isoformat(timespec="seconds")  # this month
    drift = my.json("monitor", "drift", ref, "--since", began)
    top = sorted(((c["name"], c) for c in drift["columns"] if c["drifted"]),
                 key=lambda nc: -float(nc[1]["score"] or 0))
    say(f"   drift: {'DRIFT' if drift['drifted'] else 'no drift'} (score "
        f"{drift['score']:.2f}); drifted: {', '.join(c for c, _ in top[:5]) or 'none'}")
    perf = my.json("monitor", "performance", ref, "--window", "1d", "--since", began)
    live = [w for w in perf["windows"] if "mae" in w["metrics"]]
    for w in live:
        shown = ", ".join(f"{k} {m['value']:.1f} [{m['low']:.1f}, {m['high']:.1f}] vs test "
                          f"{m['test']:.1f}" for k, m in w["metrics"].items() if k in RMSE_MAE)
        say(f"   live on {w['rows']} labels: {shown}"
            f"{'  SIGNIFICANT DROP' if w['dropped'] else ''}")
    watched = my.json("watch", MODEL, "--once")  # one model: one pass
    for check in watched["checks"]:
        say(f"   watch: {check['trigger']} {'FIRED' if check['fired'] else 'quiet'}: "
            f"{check['detail']}")
    outcome = watched.get("outcome")
    if outcome:
        say(f"   retrain: {outcome['reason']}")
    return {"month": month, "version": version, "hours": len(rows), "feedback": fed,
            "replayed_mae": mae, "drifted": drift["drifted"], "drift_score": drift["score"],
            "drifted_columns": [c for c, _ in top], "live": live, "watch": watched}


if __name__ == "__main__":
    main()
