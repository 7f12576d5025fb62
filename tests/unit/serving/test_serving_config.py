"""ServeConfig validation, the loopback rule for keys, and the error -> HTTP status table."""

from __future__ import annotations

import math

import pytest

from modelyard.errors import (
    Conflict,
    DataError,
    IntegrityError,
    ModelyardError,
    NotFound,
    RegistryError,
    SchemaMismatch,
    ServingError,
)
from modelyard.serving.config import ServeConfig, check_bind, is_loopback, keys_required
from modelyard.serving.errors import (
    BadRequest,
    Forbidden,
    InvalidInput,
    ModelUnavailable,
    NotReady,
    PayloadTooLarge,
    Unauthorized,
    UnknownModel,
    UnsupportedMediaType,
    error_response,
    status_for,
)


@pytest.mark.parametrize(
    "host,loopback",
    [("127.0.0.1", True), ("127.8.9.1", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("LOCALHOST", True), ("0.0.0.0", False), ("::", False),
     ("10.0.0.5", False), ("my-host.example", False), ("", False)],
)  # fmt: skip
def test_loopback_hosts(host, loopback):
    assert is_loopback(host) is loopback
    assert keys_required(host, False) is (not loopback)
    assert keys_required(host, True) is True


def test_check_bind_needs_a_key_only_where_keys_are_required():
    check_bind("127.0.0.1", False, 0)
    check_bind("0.0.0.0", False, 1)
    check_bind("127.0.0.1", True, 2)
    with pytest.raises(ServingError, match="'0.0.0.0'") as err:
        check_bind("0.0.0.0", True, 0)
    assert "modelyard keys create" in err.value.hint and "127.0.0.1" in err.value.hint


@pytest.mark.parametrize(
    "fields,needle",
    [({"models": "churn"}, "list of model references"), ({"models": ("churn", " ")}, "list"),
     ({"max_body_bytes": 0}, "max_body_bytes"), ({"max_body_bytes": True}, "max_body_bytes"),
     ({"swap_interval_s": 0}, "swap_interval_s"), ({"swap_interval_s": math.nan}, "seconds"),
     ({"log_batch_rows": -1}, "log_batch_rows"), ({"log_flush_s": "1"}, "log_flush_s"),
     ({"inline_ms": -1}, "inline_ms"), ({"inline_ms": math.inf}, "inline_ms")],
)  # fmt: skip
def test_config_rejects_bad_values_with_hints(fields, needle):
    with pytest.raises(ServingError, match=needle) as err:
        ServeConfig(**fields)
    assert err.value.hint


def test_config_normalises_model_references():
    config = ServeConfig(models=(" churn@production", "churn@production", "fraud"))
    assert config.models == ("churn@production", "fraud")


@pytest.mark.parametrize(
    "error,status",
    [(BadRequest("x"), 400), (Unauthorized("x"), 401), (Forbidden("x"), 403),
     (UnknownModel("x"), 404), (NotFound("x"), 404), (PayloadTooLarge("x"), 413),
     (InvalidInput("x"), 422), (SchemaMismatch("x"), 422), (DataError("x"), 422),
     (Conflict("x"), 409), (NotReady("x"), 503), (RegistryError("x"), 503),
     (IntegrityError("x"), 503), (ModelUnavailable("x"), 503), (UnsupportedMediaType("x"), 415),
     (ServingError("x"), 400), (ModelyardError("x"), 500),
     (ValueError("x"), 500), (KeyError("x"), 500)],
)  # fmt: skip
def test_one_table_maps_errors_to_statuses(error, status):
    assert status_for(error) == status


def test_error_bodies_carry_message_hint_details_and_never_internals():
    response = error_response(InvalidInput("bad", hint="fix", details=[{"field": "a"}]), "r1")
    assert response.status_code == 422
    assert response.body == (b'{"error":{"type":"InvalidInput","message":"bad","hint":"fix",'
                             b'"details":[{"field":"a"}]},"request_id":"r1"}')  # fmt: skip
    internal = error_response(RuntimeError("secret path /etc/x"), "r2")
    assert internal.status_code == 500 and b"secret" not in internal.body and b"r2" in internal.body
    assert error_response(Unauthorized("no"), None).headers["www-authenticate"] == "Bearer"


def test_keys_are_required_unless_the_loopback_rule_turns_them_off():
    assert ServeConfig().require_keys is True  # create_app(settings) alone requires keys
    assert ServeConfig(require_keys=keys_required("127.0.0.1", False)).require_keys is False
    docs = error_response(Unauthorized("no", challenge='Basic realm="docs"'), None)
    assert docs.headers["www-authenticate"] == 'Basic realm="docs"'
