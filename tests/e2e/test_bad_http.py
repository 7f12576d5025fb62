"""Every HTTP probe of hostile or malformed requests, against one real ``modelyard serve``.

The server runs over a copy of a store holding a registered churn model; after all probes the
store is unchanged and the server still answers a good request.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from bad_input import probes_http
from bad_input.harness import churn_store, store_state
from bad_input.http import PREDICT, RECORD, assert_answer, send, serving

from modelyard.registry.keys import ApiKeys
from modelyard.registry.registry import Registry
from modelyard.settings import load_settings

PROBES = [*probes_http.PROBES]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[httpx.Client, object, str]]:
    home = tmp_path_factory.mktemp("bad-http") / "home"
    churn_store(home)
    with Registry.open(load_settings(home)) as registry:  # the feedback probes' write key
        key = ApiKeys(registry.store).create("labeller")[1]
    before = store_state(home)
    with serving(home, home.parent / "serve.log") as client:
        yield client, home, key
        assert client.post(PREDICT, json=RECORD).status_code == 200  # still serving
    assert store_state(home) == before, "the store changed"


def test_probe_names_are_unique():
    names = [p.name for p in PROBES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("probe", PROBES, ids=lambda p: p.name)
def test_bad_request_gets_a_clear_answer(probe, server):
    client, home, key = server
    headers = {k: v.replace("{key}", key) for k, v in probe.headers.items()}
    assert_answer(send(client, replace(probe, headers=headers)), probe, home)
