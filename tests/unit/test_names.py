"""One name rule for models, API keys and aliases: what a URL and a command line carry."""

from __future__ import annotations

import pytest

from modelyard.errors import RegistryError, SpecError
from modelyard.names import NAME_LENGTH, check_name, is_name
from modelyard.registry.keys import ApiKeys
from modelyard.registry.registry import Registry
from modelyard.registry.values import check_alias, check_model_name
from modelyard.settings import load_settings
from modelyard.spec import validate_spec

GOOD = ["churn", "churn-classifier", "sales_forecast.v2", "9lives", "a", "A" * NAME_LENGTH]
BAD = [".", "..", ".hidden", "-flag", "_x", "", " churn", "churn ", "a b", "a/b", "a:1", "a@b",
       "caf\u00e9", "a%2Fb", "A" * (NAME_LENGTH + 1), None, 3]


@pytest.mark.parametrize("name", GOOD)
def test_names_every_interface_carries_are_taken(name):
    assert is_name(name) and check_name(name, "model") == name
    assert check_model_name(name) == name and check_alias(name) == name


@pytest.mark.parametrize("name", BAD)
def test_names_a_url_or_command_line_cannot_carry_are_refused(name):
    assert not is_name(name)
    for what, check in (("model", check_model_name), ("alias", check_alias)):
        with pytest.raises(RegistryError, match=f"invalid {what} name"):
            check(name)


@pytest.mark.parametrize("name", [".", "..", "-flag", "a b"])
def test_the_spec_store_and_keys_share_the_rule(tmp_path, data_dir, name):
    with pytest.raises(SpecError, match="name"):
        validate_spec({"name": name, "data": {"source": {"path": "x.csv"}, "target": "y"}})
    with Registry.open(load_settings(tmp_path / "home")) as registry:
        with pytest.raises(RegistryError, match="invalid model name"):
            registry.store.create_model(name)
        with pytest.raises(RegistryError, match="invalid API key name"):
            ApiKeys(registry.store).create(name)
