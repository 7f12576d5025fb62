"""HTTP probes: one bad request each, sent to a real ``modelyard serve`` process.

An HTTP probe says what is sent (method, path, headers, body) and what must come back: the status
and the words the body holds. Every answer is also checked for what no client may see: a
traceback, the server's folders, its store URL.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

RECORD = {  # one telco customer, as the churn model's schema wants it
    "gender": "Female", "SeniorCitizen": 0, "Partner": "Yes", "Dependents": "No", "tenure": 1,
    "PhoneService": "No", "MultipleLines": "No phone service", "InternetService": "DSL",
    "OnlineSecurity": "No", "OnlineBackup": "Yes", "DeviceProtection": "No",
    "TechSupport": "No", "StreamingTV": "No", "StreamingMovies": "No",
    "Contract": "Month-to-month", "PaperlessBilling": "Yes",
    "PaymentMethod": "Electronic check", "MonthlyCharges": 29.85, "TotalCharges": 29.85,
}
PREDICT = "/v1/models/churn/predict"


@dataclass(frozen=True)
class HttpProbe:
    """One request and the answer it must get. ``json`` is sent as a JSON body, ``content`` as
    raw bytes (with ``headers`` saying what they are); ``says``: words the answer's body holds."""

    name: str
    path: str
    status: int
    method: str = "POST"
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    says: tuple[str, ...] = ()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serving(home: Path, log: Path, *flags: str) -> Iterator[httpx.Client]:
    """``modelyard serve [FLAGS]`` on a free loopback port over ``home``, until the block ends."""
    port = _free_port()
    env = {**os.environ, "MODELYARD_HOME": str(home)}
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "modelyard", "serve", "--host",
                                 "127.0.0.1", "--port", str(port), *flags], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                deadline = time.monotonic() + 120
                while True:
                    try:
                        if client.get("/readyz").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
                    time.sleep(0.2)
                yield client
        finally:
            proc.terminate()
            proc.wait(30)


def send(client: httpx.Client, probe: HttpProbe) -> httpx.Response:
    kwargs: dict[str, Any] = {"headers": probe.headers}
    if probe.json is not None:
        kwargs["content"] = json.dumps(probe.json).encode()
        kwargs["headers"] = {"content-type": "application/json", **probe.headers}
    elif probe.content is not None:
        kwargs["content"] = probe.content
    return client.request(probe.method, probe.path, **kwargs)


def assert_answer(response: httpx.Response, probe: HttpProbe, home: Path) -> None:
    """The status, the words, and nothing a client must not see."""
    body = response.text
    assert response.status_code == probe.status, (response.status_code, body[:2000])
    for word in probe.says:
        assert word.lower() in body.lower(), (word, body[:2000])
    for secret in ("Traceback", str(home), "sqlite:", "File \\\"", 'File "'):
        assert secret not in body, (secret, body[:2000])
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["message"] and error.get("hint"), body[:2000]
