"""Store URLs: the scheme table, defaults, and passwords kept out of every message."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelyard.errors import RegistryError
from modelyard.registry import SCHEMES, MetadataStore, redact, store_url_for
from modelyard.registry.urls import parse_store_url


def test_default_store_is_a_sqlite_file_in_home(tmp_path):
    url = store_url_for(tmp_path / "home")
    assert url == f"sqlite:///{tmp_path / 'home' / 'modelyard.db'}"
    assert url.startswith("sqlite:////")  # absolute path


def test_every_scheme_in_the_table_parses():
    for name in SCHEMES:
        rest = "/tmp/x.db" if name == "sqlite" else "u:p@localhost/db"
        url, scheme = parse_store_url(f"{name}://{rest}")
        assert url.drivername == scheme.drivername


def test_postgresql_means_psycopg3():
    url, scheme = parse_store_url("postgresql://u@h/db")
    assert (url.drivername, scheme.backend) == ("postgresql+psycopg", "postgresql")


@pytest.mark.parametrize("url", ["mysql://root:hunter2@db/x", "postgresql+asyncpg://a:hunter2@h/d"])
def test_unknown_schemes_list_the_valid_ones_without_the_password(url):
    with pytest.raises(RegistryError) as err:
        MetadataStore(url).open()
    text = str(err.value)
    assert "hunter2" not in text and "***" in text
    for name in SCHEMES:
        assert f"{name}://" in err.value.hint


def test_not_a_url():
    with pytest.raises(RegistryError, match="not a URL"):
        parse_store_url("modelyard.db")


def test_unreachable_server_message_hides_the_password():
    store = MetadataStore("postgresql://alice:hunter2@127.0.0.1:1/db")
    with pytest.raises(RegistryError, match="cannot open the metadata store") as err:
        store.open()
    assert "hunter2" not in str(err.value) and "alice:***@" in str(err.value)
    assert "hunter2" not in repr(store)


def test_redact_handles_malformed_urls():
    assert redact("weird://bob:s3cret@host:notaport") == "weird://bob:***@host:notaport"
    assert redact("sqlite:///x.db") == "sqlite:///x.db"


def test_sqlite_open_creates_the_folder(tmp_path):
    home = tmp_path / "a" / "b"
    with MetadataStore(store_url_for(home)) as store:
        assert store.backend == "sqlite"
    assert (home / "modelyard.db").is_file()
    assert Path(home).is_dir()
