"""API keys: 401 without or with a wrong key, 403 for another model, revocation picked up live,
a server on a non-loopback host refusing to start without keys, and the `keys` commands."""

from __future__ import annotations

import json
import time

import pytest
from typer.testing import CliRunner

from modelyard.cli import main
from modelyard.errors import ServingError
from modelyard.registry.keys import ApiKeys
from modelyard.registry.registry import Registry
from modelyard.serving import ServeConfig, preflight
from serving_helpers import churn_rows, feature_records, loopback_config, register, wait_ready

PREDICT = "/v1/models/churn/predict"


def create_key(settings, name: str, models: list[str] | None = None) -> str:
    with Registry.open(settings) as registry:
        return ApiKeys(registry.store).create(name, models)[1]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_required_keys_401_403_and_revocation(churn, serve, settings, bundle_v1, bundle_v2):
    register(settings, "fraud", bundle_v2)
    everything = create_key(settings, "ops")
    churn_only = create_key(settings, "checkout", ["churn"])
    fraud_only = create_key(settings, "risk", ["fraud"])
    _, client = serve(require_keys=True, swap_interval_s=0.2)
    record = feature_records(bundle_v1, churn_rows().iloc[:1])[0]

    missing = client.post(PREDICT, json=record)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert "keys create" in missing.json()["error"]["hint"]
    assert client.post(PREDICT, json=record, headers=bearer("myk_wrong")).status_code == 401
    assert (
        client.post(PREDICT, json=record, headers={"Authorization": everything}).status_code == 401
    )  # no 'Bearer' scheme
    assert client.get("/v1/models", headers=bearer("nope")).status_code == 401

    forbidden = client.post(PREDICT, json=record, headers=bearer(fraud_only))
    assert forbidden.status_code == 403 and "risk" in forbidden.json()["error"]["message"]
    assert client.get("/v1/models/churn", headers=bearer(fraud_only)).status_code == 403
    assert client.post(PREDICT, json=record, headers=bearer(churn_only)).status_code == 200
    assert client.post(PREDICT, json=record, headers=bearer(everything)).status_code == 200
    listed = client.get("/v1/models", headers=bearer(churn_only)).json()["models"]
    assert {m["model"] for m in listed} == {"churn"}

    # probes need no key; the models load in the background while requests load on demand, so
    # /readyz may still say 'loading' (503) here on a busy machine: wait for the first round
    wait_ready(client)
    for path in ("/healthz", "/readyz", "/metrics"):
        assert client.get(path).status_code == 200

    with Registry.open(settings) as registry:
        ApiKeys(registry.store).revoke("checkout")
    deadline = time.monotonic() + 5
    while client.post(PREDICT, json=record, headers=bearer(churn_only)).status_code != 401:
        assert time.monotonic() < deadline, "the revoked key still works"
        time.sleep(0.05)
    assert client.post(PREDICT, json=record, headers=bearer(everything)).status_code == 200


def test_keys_are_optional_on_loopback_but_checked_when_sent(
    churn, serve, settings, bundle_v1, bundle_v2
):
    register(settings, "fraud", bundle_v2)
    key = create_key(settings, "ops", ["fraud"])
    _, client = serve(models=("churn",))
    record = feature_records(bundle_v1, churn_rows().iloc[:1])[0]
    assert client.post(PREDICT, json=record).status_code == 200
    assert client.post(PREDICT, json=record, headers=bearer("wrong")).status_code == 401
    assert client.post(PREDICT, json=record, headers=bearer(key)).status_code == 403


def test_refuses_to_listen_beyond_loopback_without_a_key(churn, settings):
    for host in ("0.0.0.0", "::", "192.168.1.10", "example.org"):
        config = ServeConfig(require_keys=True)
        with pytest.raises(ServingError, match="without an API key") as err:
            preflight(settings, config, host)
        assert "modelyard keys create" in err.value.hint
    with pytest.raises(ServingError, match="--require-keys"):
        preflight(settings, ServeConfig(require_keys=True), "127.0.0.1")
    assert preflight(settings, loopback_config(), "127.0.0.1") == []
    with pytest.raises(ServingError, match="without an API key"):  # keys required by default
        preflight(settings, ServeConfig(), "127.0.0.1")
    create_key(settings, "ops")
    assert preflight(
        settings, ServeConfig(models=("churn@production",), require_keys=True), "0.0.0.0"
    ) == ["churn@production -> churn:1"]


@pytest.mark.timeout(120)
def test_serve_command_refuses_a_public_host_without_keys(churn, cli_app):
    result = CliRunner().invoke(cli_app, ["serve", "--host", "0.0.0.0", "--port", "0"])
    assert isinstance(result.exception, ServingError), result.output
    assert "without an API key" in str(result.exception)


def test_keys_commands_create_list_revoke(churn, settings, cli_app, bundle_v2):
    register(settings, "fraud", bundle_v2)
    runner = CliRunner()
    created = runner.invoke(cli_app, ["keys", "create", "--name", "ci", "--models", "churn,fraud"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[0]
    assert secret.startswith("myk_") and len(secret) > 40
    with Registry.open(settings) as registry:
        info = ApiKeys(registry.store).verify(secret)
        assert info is not None and info.models == ("churn", "fraud")
        with registry.store.engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT * FROM api_keys").all()
    assert secret not in repr(stored)  # only the hash is kept

    listed = runner.invoke(cli_app, ["keys", "list", "--json"])
    page = json.loads(listed.stdout)
    rows = page["items"]
    assert [(r["name"], r["models"], r["active"]) for r in rows] == [("ci", ["churn", "fraud"],
                                                                     True)]  # fmt: skip
    assert (page["total"], page["limit"], page["offset"]) == (1, 20, 0)
    assert secret not in listed.stdout

    revoked = runner.invoke(cli_app, ["keys", "revoke", "ci", "--json"])
    assert revoked.exit_code == 0 and json.loads(revoked.stdout)["active"] is False
    assert json.loads(runner.invoke(cli_app, ["keys", "list", "--json"]).stdout)["items"] == []
    every = json.loads(runner.invoke(cli_app, ["keys", "list", "--all", "--json"]).stdout)
    assert every["total"] == 1 and len(every["items"]) == 1
    again = runner.invoke(cli_app, ["keys", "revoke", "nobody"])
    assert again.exit_code != 0 and "no API key named 'nobody'" in str(again.exception)


def test_keys_create_refuses_a_model_that_is_not_registered(churn, settings, capsys):
    code = main(["keys", "create", "--name", "ci", "--models", "churn,chrun"])
    err = capsys.readouterr().err
    assert code == 2 and "'chrun'" in err and "registered models: churn" in err
    assert "did you mean 'churn'?" in err and "--allow-unregistered" in err
    with Registry.open(settings) as registry:
        assert ApiKeys(registry.store).list().total == 0  # refused: nothing was created
    code = main(["keys", "create", "--name", "ci", "--models", "fraud", "--allow-unregistered"])
    assert code == 0 and capsys.readouterr().out.startswith("myk_")


def test_keys_list_pages_like_every_listing(churn, settings, capsys):
    for name in ("a", "b", "c"):
        create_key(settings, name)
    assert main(["keys", "list", "--limit", "2", "--offset", "1", "--json"]) == 0
    page = json.loads(capsys.readouterr().out)
    assert [k["name"] for k in page["items"]] == ["b", "c"]
    assert main(["models", "list", "--json"]) == 0
    models_page = json.loads(capsys.readouterr().out)
    assert set(page) == set(models_page) == {"total", "limit", "offset", "items"}
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    assert main(["keys", "list", "--limit", "2"]) == 0
    table = capsys.readouterr().out
    assert "API keys 1-2 of 3" in table and "next page: --offset 2" in table


def test_a_limited_key_is_never_told_the_names_of_other_models(churn, serve, settings, bundle_v1,
                                                               bundle_v2):
    register(settings, "secret-model", bundle_v2)
    with Registry.open(settings) as registry:
        limited = ApiKeys(registry.store).create("partner", ["churn", "churn-v2"],
                                                 allow_unregistered=True)[1]
    _, client = serve(require_keys=True)
    record = feature_records(bundle_v1, churn_rows().iloc[:1])[0]
    for path in ("/v1/models/churn-v2/predict", "/v1/models/churn:99/predict"):
        answer = client.post(path, json=record, headers=bearer(limited))
        assert answer.status_code == 404, answer.text
        assert "secret-model" not in answer.text, answer.text
    unknown = client.post("/v1/models/churn-v2/predict", json=record, headers=bearer(limited))
    assert unknown.json()["error"]["hint"] == "this API key may use: churn, churn-v2"
