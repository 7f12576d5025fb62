"""Serving latency and throughput: the modelyard server against a minimal FastAPI endpoint.

One run trains a churn model (LightGBM on the full Telco churn table, through ``model.fit_model``
rather than the pipeline),
registers it in a temporary store, and starts two uvicorn servers in subprocesses on 127.0.0.1:

- **modelyard**: ``create_app`` serving ``churn@production`` with keys required (every request
  carries an API key limited to ``churn``; request validation, metrics, prediction log on, as
  deployed);
- **minimal**: a bare FastAPI endpoint ``POST /predict`` that builds a one-row DataFrame from the
  JSON body and calls the same bundle's ``predict_frame`` directly (no validation, no log).

The load generator (this process, httpx, keep-alive) measures, for each server:

- latency: ``--requests`` single-record requests one after another -> p50 and p99;
- throughput: the same number of single-record requests from ``--clients`` threads -> requests/s;
- batching (modelyard only): ``--batches`` requests of ``--batch-rows`` rows -> rows/s, compared
  with the single-record rows/s.

and, in process, ``bundle.predict`` of a one-row frame and ``bundle.predict_row`` of one record
(the compiled single-row path the server takes for a one-record request), p50/p99. Rounds
alternate the order of the two servers (``--rounds``); every request goes to 127.0.0.1 and the
counts are bounded. Targets (issue 19): modelyard's p50 at most 2 ms and at most 0.3x the minimal
endpoint's; (issue 6) throughput at least 0.7x, batching at least 20x.

    .venv/bin/python bench/serve.py
    .venv/bin/python bench/serve.py --requests 300 --clients 4 --rounds 2 --learner logistic

Adds one record (every latency sample's percentiles, requests/s of each round, the ratios) to
``bench/results/serve.json`` through ``bench/record.py``.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import record

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "telco_churn"
FALLBACK = Path(__file__).resolve().parents[1] / "tests" / "data" / "telco_churn.csv"
TARGET = "Churn"
MODEL = "churn"
REF = "churn@production"


# -- model and servers ----------------------------------------------------------------------------
def churn_table() -> pd.DataFrame:
    path = DATA / "Telco-Customer-Churn.csv"
    return pd.read_csv(path if path.is_file() else FALLBACK)


def train_and_register(home: Path, learner: str) -> tuple[pd.DataFrame, str]:
    """Fit a churn model on the table, register it as churn@production; returns feature rows and
    an API key limited to the model."""
    from modelyard.data.infer import infer_schema
    from modelyard.model import encode_target, fit_model
    from modelyard.registry.keys import ApiKeys
    from modelyard.registry.registry import Registry
    from modelyard.settings import Settings

    raw = churn_table()
    frame, schema = infer_schema(raw, target=TARGET)
    y, labels = encode_target(frame[TARGET], "binary")
    params = {"n_estimators": 200} if learner == "lightgbm" else {}
    fitted = fit_model(frame[schema.names], y, schema=schema, task="binary", learner=learner,
                       params=params, labels=labels)
    saved = fitted.bundle.save(home / "bundle")
    with Registry.open(Settings(home=home)) as registry:
        uri = registry.artifacts.put_dir(saved)
        run_id = registry.store.create_run(MODEL, {"learner": learner}, seed=0)
        version = registry.store.register_version(
            MODEL, run_id=run_id, artifact_uri=uri, schema=schema.to_dict(), metrics={}
        )
        registry.store.set_alias(MODEL, "production", version, actor="bench")
        _, key = ApiKeys(registry.store).create("bench", models=[MODEL])
    features = raw[schema.names].copy()
    for name in schema.of_kind("numeric"):
        features[name] = pd.to_numeric(features[name], errors="coerce")
    return features, key


def run_server(kind: str, home: Path, port: int) -> None:
    """Subprocess entry: serve one of the two apps until terminated."""
    import uvicorn

    from modelyard.settings import Settings

    settings = Settings(home=home)
    if kind == "modelyard":
        from modelyard.serving import ServeConfig, create_app

        app = create_app(settings, ServeConfig(models=(REF,), require_keys=True))
    else:
        app = minimal_app(settings)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def minimal_app(settings: Any) -> Any:
    """The peer: FastAPI, one endpoint, the bundle's predict_frame on the JSON body as is."""
    from fastapi import FastAPI

    import modelyard.model  # noqa: F401 - registers the model formats
    from modelyard.registry.registry import Registry

    with Registry.open(settings) as registry:
        bundle = registry.load(REF).model
    probas = [f"proba_{label}" for label in bundle.classes]
    app = FastAPI()

    @app.post("/predict")
    def predict(record: dict[str, Any]) -> dict[str, Any]:
        out = bundle.predict_frame(pd.DataFrame([record]))
        return {
            "predictions": out["prediction"].tolist(),
            "probabilities": out[probas].to_dict(orient="records"),
        }

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server(kind: str, home: Path) -> Iterator[str]:
    """Start a server subprocess; yields its base URL once it answers; stops it afterwards."""
    port = free_port()
    cmd = [sys.executable, __file__, "--serve", kind, "--home", str(home), "--port", str(port)]
    probe = "/readyz" if kind == "modelyard" else "/healthz"
    with running(cmd, f"http://127.0.0.1:{port}", probe, f"the {kind} server") as url:
        yield url


@contextmanager
def running(cmd: list[str], url: str, probe: str, name: str,
            **popen: Any) -> Iterator[str]:  # fmt: skip
    """Run ``cmd`` (a server); yields ``url`` once ``probe`` answers 200; stops it afterwards.
    ``popen``: more ``subprocess.Popen`` arguments (env, stdout, ...)."""
    proc = subprocess.Popen(cmd, **popen)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with status {proc.returncode}")
            try:
                if httpx.get(url + probe, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not become ready in 120 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- load generation ------------------------------------------------------------------------------
def latencies(url: str, path: str, bodies: list[bytes], n: int, headers: dict) -> list[float]:
    """Seconds per request, ``n`` requests one after another on one keep-alive connection."""
    out = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for i in range(n):
            started = time.perf_counter()
            response = client.post(path, content=bodies[i % len(bodies)], headers=headers)
            out.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text[:300]
    return out


def throughput(
    url: str, path: str, bodies: list[bytes], n: int, clients: int, headers: dict
) -> float:
    """Requests per second for ``n`` requests sent by ``clients`` threads at once."""
    per_client = [n // clients + (1 if i < n % clients else 0) for i in range(clients)]
    errors: list[str] = []

    def work(count: int, offset: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            for i in range(count):
                body = bodies[(offset + i) % len(bodies)]
                response = client.post(path, content=body, headers=headers)
                if response.status_code != 200:
                    errors.append(response.text[:300])

    threads = [
        threading.Thread(target=work, args=(count, 97 * i)) for i, count in enumerate(per_client)
    ]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    assert not errors, errors[:3]
    return n / seconds


def in_process(home: Path, rows: pd.DataFrame, records: list[dict],
               n: int) -> tuple[list[float], list[float]]:  # fmt: skip
    """Seconds per ``bundle.predict`` of a one-row frame, and per ``bundle.predict_row`` of one
    JSON record (the single-row path the server takes), in this process."""
    from modelyard.registry.registry import Registry
    from modelyard.settings import Settings

    with Registry.open(Settings(home=home)) as registry:
        bundle = registry.load(REF).model
    frames = [rows.iloc[[i]] for i in range(min(len(rows), 200))]
    bundle.predict(frames[0])  # warm-up
    bundle.predict_row(records[0])  # compiles the single-row path
    frame_s, row_s = [], []
    for i in range(n):
        started = time.perf_counter()
        bundle.predict(frames[i % len(frames)])
        frame_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        bundle.predict_row(records[i % len(records)])
        row_s.append(time.perf_counter() - started)
    return frame_s, row_s


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="requests per measurement")
    parser.add_argument("--clients", type=int, default=4, help="threads for throughput")
    parser.add_argument("--batches", type=int, default=20, help="batch requests")
    parser.add_argument("--batch-rows", type=int, default=1000, help="rows per batch request")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds")
    parser.add_argument("--learner", default="lightgbm", help="lightgbm or logistic")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--serve", choices=["modelyard", "minimal"], help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        run_server(args.serve, Path(args.home), args.port)
        return
    stamper = record.Stamper(("fastapi", "uvicorn", "starlette", "httpx", "pydantic"))

    with tempfile.TemporaryDirectory(prefix="modelyard-bench-serve-") as tmp:
        home = Path(tmp)
        features, key = train_and_register(home, args.learner)
        records = [
            {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
            for r in features.head(500).to_dict(orient="records")
        ]
        singles = [json.dumps(r).encode() for r in records]
        batch_rows = [records[i % len(records)] for i in range(args.batch_rows)]
        batch = [json.dumps(batch_rows).encode()]
        paths = {"modelyard": f"/v1/models/{REF}/predict", "minimal": "/predict"}
        json_body = {"content-type": "application/json"}
        headers = {"modelyard": {**json_body, "authorization": f"Bearer {key}"},
                   "minimal": json_body}
        lat: dict[str, list[float]] = {"modelyard": [], "minimal": []}
        rps: dict[str, list[float]] = {"modelyard": [], "minimal": []}
        batch_rps: list[float] = []
        with server("modelyard", home) as my_url, server("minimal", home) as min_url:
            urls = {"modelyard": my_url, "minimal": min_url}
            for kind in urls:  # warm-up: load paths, JIT-free but caches and connections
                latencies(urls[kind], paths[kind], singles, 50, headers[kind])
            for r in range(args.rounds):
                order = ["minimal", "modelyard"] if r % 2 == 0 else ["modelyard", "minimal"]
                for kind in order:
                    lat[kind] += latencies(
                        urls[kind], paths[kind], singles, args.requests, headers[kind]
                    )
                    rps[kind].append(
                        throughput(
                            urls[kind], paths[kind], singles, args.requests, args.clients,
                            headers[kind],
                        )
                    )
                seconds = latencies(
                    my_url, paths["modelyard"], batch, args.batches, headers["modelyard"]
                )
                batch_rps.append(args.batch_rows * len(seconds) / sum(seconds))
        local, row = in_process(home, features, records, args.requests)
    results = report(args, lat, rps, batch_rps, local, row)
    results["requests_per_s_rounds"] = rps
    results["latency_ms"] = {k: [round(t * 1000, 3) for t in v] for k, v in lat.items()}
    results["in_process_ms"] = [round(t * 1000, 3) for t in local]
    results["in_process_row_ms"] = [round(t * 1000, 4) for t in row]
    results["batch_rows_per_s_rounds"] = batch_rps
    results["batches"], results["batch_rows"] = args.batches, args.batch_rows
    results["stamp"] = stamper.stamp()
    key_fields = ("learner", "requests", "clients", "rounds", "batch_rows")
    record.add("serve", [results], key=lambda r: tuple(r.get(k) for k in key_fields))


def report(args, lat, rps, batch_rps, local, row) -> dict:
    mine, peer = statistics.median(rps["modelyard"]), statistics.median(rps["minimal"])
    results = {
        "learner": args.learner,
        "requests": args.requests,
        "clients": args.clients,
        "rounds": args.rounds,
        "modelyard": {"p50_ms": pct(lat["modelyard"], 50), "p99_ms": pct(lat["modelyard"], 99),
                      "requests_per_s": mine},
        "minimal": {"p50_ms": pct(lat["minimal"], 50), "p99_ms": pct(lat["minimal"], 99),
                    "requests_per_s": peer},
        "in_process_predict": {"p50_ms": pct(local, 50), "p99_ms": pct(local, 99)},
        "in_process_predict_row": {"p50_ms": pct(row, 50), "p99_ms": pct(row, 99)},
        "batch_rows_per_s": statistics.median(batch_rps),
    }  # fmt: skip
    results["p50_ratio"] = results["modelyard"]["p50_ms"] / results["minimal"]["p50_ms"]
    results["throughput_ratio"] = mine / peer
    results["batching_ratio"] = results["batch_rows_per_s"] / mine
    if args.json:
        print(json.dumps(results, indent=2))
        return results
    print(f"\nchurn model ({args.learner}), {args.requests} requests per measurement, "
          f"{args.clients} clients for throughput, {args.rounds} rounds\n")  # fmt: skip
    print("| path | p50 ms | p99 ms | requests/s | rows/s |")
    print("|---|---|---|---|---|")
    for kind in ("modelyard", "minimal"):
        r = results[kind]
        print(f"| {kind} HTTP, 1 record | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
              f"{r['requests_per_s']:.0f} | {r['requests_per_s']:.0f} |")  # fmt: skip
    r = results["in_process_predict"]
    print(f"| in-process bundle.predict, 1 row | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | | |")
    r = results["in_process_predict_row"]
    print(f"| in-process bundle.predict_row | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | | |")
    print(f"| modelyard HTTP, {args.batch_rows} records | | | | "
          f"{results['batch_rows_per_s']:.0f} |")  # fmt: skip
    print(f"\nmodelyard p50: {results['modelyard']['p50_ms']:.2f} ms (target <= 2)")
    print(f"p50 ratio modelyard/minimal: {results['p50_ratio']:.2f} (target <= 0.3)")
    print(f"throughput ratio modelyard/minimal: {results['throughput_ratio']:.2f} (target >= 0.7)")
    print(f"batching: {results['batching_ratio']:.1f}x single-record rows/s (target >= 20)")
    return results


if __name__ == "__main__":
    main()
