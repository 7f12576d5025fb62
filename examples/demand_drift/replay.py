"""The moving parts of the demand-drift demonstration: the `modelyard` command line, a real
`modelyard serve` process, and the replay of past hours through its HTTP API (predictions, then
the ground truth as feedback). run.py tells the story with them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pyarrow.parquet as pq

MODEL = "bikes"
TARGET = "users"


@dataclass
class Modelyard:
    """Runs `modelyard ARGS` in a subprocess with one MODELYARD_HOME, as a user would."""

    home: Path

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "MODELYARD_HOME": str(self.home), "COLUMNS": "100"}

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([sys.executable, "-m", "modelyard", *args], env=self.env,
                              capture_output=True, text=True, timeout=600)
        if check and proc.returncode != 0:
            raise RuntimeError(f"modelyard {' '.join(args)} failed ({proc.returncode}):\n"
                               f"{proc.stderr}{proc.stdout}")
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(my: Modelyard, log: Path) -> Iterator[str]:
    """`modelyard serve` on a free loopback port until the block ends (then Ctrl-C, which
    flushes the prediction log); yields its base URL."""
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "modelyard", "serve", "--port", str(port),
                                 "-m", MODEL, "--swap-interval", "1"], env=my.env,
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"modelyard serve did not start: see {log}")
            time.sleep(0.5)
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON records (the features only; missing values as null)."""
    return json.loads(frame.drop(columns=[TARGET]).to_json(orient="records"))


def replay(client: httpx.Client, hours: pd.DataFrame) -> pd.DataFrame:
    """One request per day of ``hours`` (its 24 hourly rows); returns each row's request_id,
    row, the version that answered, the prediction and the truth."""
    out = []
    for _, day in hours.groupby(hours["date_time"].str[:10], sort=True):
        answer = client.post(f"/v1/models/{MODEL}/predict", json=records(day))
        answer.raise_for_status()
        body = answer.json()
        out.append(pd.DataFrame({
            "request_id": body["request_id"], "row": range(len(day)),
            "version": body["version"], "prediction": body["predictions"],
            "truth": day[TARGET].to_numpy(),
        }))  # fmt: skip
    return pd.concat(out, ignore_index=True)


def logged_rows(home: Path) -> int:
    """Rows the server wrote to its prediction log so far (every version)."""
    files = (home / "predictions" / MODEL).glob("v*/*.parquet")
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files)


def wait_logged(home: Path, rows: int, timeout: float = 60) -> None:
    """Until the log holds ``rows`` rows (the server writes a partial batch every 5 s)."""
    deadline = time.monotonic() + timeout
    while logged_rows(home) < rows:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the prediction log holds {logged_rows(home)} of {rows} rows")
        time.sleep(0.5)


def feedback(client: httpx.Client, answered: pd.DataFrame) -> dict[str, Any]:
    """The truth of every answered row, by request id and row, over HTTP."""
    labels = [{"request_id": r.request_id, "row": int(r.row), "label": float(r.truth)}
              for r in answered.itertuples()]
    answer = client.post(f"/v1/models/{MODEL}/feedback", json=labels)
    answer.raise_for_status()
    return answer.json()
