"""Fixtures for the serving tests: two churn bundles (built once), a per-test store with the churn
model registered, and a factory that starts the real app under uvicorn on a free loopback port."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import typer

from modelyard.serving import ServeConfig, create_app
from modelyard.settings import Settings, load_settings
from serving_helpers import LiveServer, build_bundle, loopback_config, register


@pytest.fixture(scope="session")
def bundle_v1(tmp_path_factory) -> Path:
    """A logistic churn model (C=1)."""
    return build_bundle(tmp_path_factory.mktemp("bundle_v1") / "model", C=1.0)


@pytest.fixture(scope="session")
def bundle_v2(tmp_path_factory) -> Path:
    """Another churn model, strongly regularised (C=0.01), so its answers differ from v1's."""
    return build_bundle(tmp_path_factory.mktemp("bundle_v2") / "model", C=0.01)


@pytest.fixture
def settings() -> Settings:
    """This test's store (MODELYARD_HOME is isolated per test by tests/conftest.py)."""
    return load_settings()


@pytest.fixture
def churn(settings, bundle_v1) -> int:
    """'churn' version 1 registered with alias 'production'; returns the version number."""
    return register(settings, "churn", bundle_v1, alias="production")


Serve = Callable[..., tuple[LiveServer, httpx.Client]]


@pytest.fixture
def serve(settings) -> Iterator[Serve]:
    """``serve(**ServeConfig fields)`` -> (running server, client on it); all stopped at the end.

    The fields make the configuration ``modelyard serve`` builds on 127.0.0.1 (keys optional
    unless ``require_keys=True``); a ``ServeConfig`` passed as is keeps its own (keys required
    by default)."""
    running: list[tuple[LiveServer, httpx.Client]] = []

    def start(config: ServeConfig | None = None, **fields) -> tuple[LiveServer, httpx.Client]:
        app = create_app(settings, config or loopback_config(**fields))
        server = LiveServer(app).start()
        client = httpx.Client(base_url=server.url, timeout=30)
        running.append((server, client))
        return server, client

    yield start
    for server, client in running:
        client.close()
        server.stop()


@pytest.fixture
def cli_app() -> typer.Typer:
    """The serving commands on a Typer app of their own, as cli/__init__.py registers them."""
    from modelyard.cli.keys_cmd import keys_app
    from modelyard.cli.predict_cmd import predict_command
    from modelyard.cli.serve_cmd import serve_command

    app = typer.Typer()
    app.add_typer(keys_app, name="keys")
    app.command("predict")(predict_command)
    app.command("serve")(serve_command)
    return app
