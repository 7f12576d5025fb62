"""Helpers for the serving tests: small churn models built by hand, registered in a store, and a
real uvicorn server on a free loopback port in a background thread.

Models are built without the training pipeline: read the Telco churn slice, infer its schema, fit
a model on the rows through the one fit path (``model.fit_model``), save the bundle, store it and
register a version.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import uvicorn
from fastapi import FastAPI

from modelyard.data.infer import infer_schema
from modelyard.model import ModelBundle, encode_target, fit_model
from modelyard.registry.registry import Registry
from modelyard.serving.config import ServeConfig, keys_required
from modelyard.settings import Settings

DATA = Path(__file__).parent / "data"
CHURN_CSV = DATA / "telco_churn.csv"
TARGET = "Churn"


def churn_rows() -> pd.DataFrame:
    """The raw Telco churn slice, as a file reader gives it (target included)."""
    return pd.read_csv(CHURN_CSV)


def build_bundle(directory: Path, *, learner: str = "logistic", **params: Any) -> Path:
    """Fit a churn model on the first 250 rows and save it as a bundle in ``directory``."""
    frame, schema = infer_schema(churn_rows(), target=TARGET)
    train = frame.iloc[:250]
    y, labels = encode_target(train[TARGET], "binary")
    fitted = fit_model(train[schema.names], y, schema=schema, task="binary", learner=learner,
                       params=params, labels=labels)
    return fitted.bundle.save(directory)


def register(
    settings: Settings,
    name: str,
    bundle_dir: Path,
    *,
    alias: str | None = None,
    metrics: dict[str, float] | None = None,
) -> int:
    """Store ``bundle_dir`` and register it as the next version of ``name``; returns the number."""
    with Registry.open(settings) as registry:
        store = registry.store
        uri = registry.artifacts.put_dir(bundle_dir)
        schema = ModelBundle.load(bundle_dir).schema
        run_id = store.create_run(name, {"learner": "by hand"}, seed=0)
        version = store.register_version(
            name,
            run_id=run_id,
            artifact_uri=uri,
            schema=schema.to_dict(),
            metrics=metrics or {"roc_auc": 0.8},
        )
        if alias:
            store.set_alias(name, alias, version, actor="test")
    return version


def move_alias(settings: Settings, name: str, alias: str, version: int) -> None:
    with Registry.open(settings) as registry:
        registry.store.set_alias(name, alias, version, actor="test")


def corrupt_own_file(settings: Settings, ref: str, other: str) -> tuple[Path, bytes]:
    """Flip one bit of the stored object of a file of ``ref``'s artifact that ``other``'s does not
    share (two churn models fitted on the same rows share most files); returns the object's path
    and its good bytes, to restore it."""
    with Registry.open(settings) as registry:
        trees = [
            json.loads(registry.artifacts.get_file(registry.store.resolve(r).artifact_uri)
                       .read_text())["files"]
            for r in (ref, other)
        ]  # fmt: skip
        uri = next(u for _, u in sorted(trees[0].items()) if u not in trees[1].values())
        digest = uri.removeprefix("sha256:")
        path = registry.artifacts.root / "objects" / digest[:2] / digest[2:]
    good = path.read_bytes()
    os.chmod(path, 0o644)  # stored objects are read-only
    path.write_bytes(bytes([good[0] ^ 1]) + good[1:])
    return path, good


def metric_value(client: Any, line_start: str) -> float:
    """The value of the first /metrics sample whose line starts with ``line_start`` (0 if none)."""
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(line_start):
            return float(line.split()[-1])
    return 0.0


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: NaN and blank cells become null, numpy scalars Python values."""
    records = []
    for row in frame.to_dict(orient="records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, np.generic):
                value = value.item()
            if isinstance(value, float) and np.isnan(value):
                value = None
            if isinstance(value, str) and not value.strip():
                value = None
            clean[key] = value
        records.append(clean)
    return records


def feature_records(bundle_dir: Path, frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The model's feature columns of ``frame`` as JSON records, numbers sent as numbers (a CSV
    column with blank cells reads as text; JSON clients send numbers and null)."""
    schema = ModelBundle.load(bundle_dir).schema
    features = frame[schema.names].copy()
    for name in schema.of_kind("numeric"):
        features[name] = pd.to_numeric(features[name], errors="coerce")
    return json_records(features)


LOOPBACK = "127.0.0.1"  # where LiveServer listens


def loopback_config(**fields: Any) -> ServeConfig:
    """The configuration ``modelyard serve --host 127.0.0.1`` builds: API keys optional (checked
    only when sent) unless ``require_keys=True`` is passed, as ``--require-keys`` would."""
    required = keys_required(LOOPBACK, fields.pop("require_keys", False))
    return ServeConfig(require_keys=required, **fields)


class LiveServer:
    """uvicorn serving ``app`` on 127.0.0.1 and a free port, in a background thread."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        config = uvicorn.Config(
            app,
            host=LOOPBACK,
            port=0,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=5,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="test-uvicorn", daemon=True)
        self.url = ""

    def start(self, timeout: float = 30.0) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("uvicorn stopped during start-up (see the log above)")
            if time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start within {timeout} s")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://{LOOPBACK}:{port}"
        return self

    def stop(self) -> None:
        """Shut down (lifespan exit: the prediction log is flushed); stopping twice is fine."""
        if not self.thread.is_alive():
            return
        self.server.should_exit = True
        self.thread.join(30)
        assert not self.thread.is_alive(), "uvicorn did not shut down within 30 s"


@contextlib.contextmanager
def live_server(app: FastAPI) -> Iterator[LiveServer]:
    server = LiveServer(app).start()
    try:
        yield server
    finally:
        server.stop()


def wait_ready(client: Any, timeout: float = 30.0) -> dict[str, Any]:
    """Poll /readyz until 200; returns its body."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get("/readyz")
        if response.status_code == 200:
            return response.json()
        if time.monotonic() > deadline:
            raise AssertionError(f"not ready after {timeout} s: {response.text}")
        time.sleep(0.05)
