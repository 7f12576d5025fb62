"""Settings for the current command: ``--home`` / ``--db`` given to the root command, else the
environment (``MODELYARD_HOME``, ``MODELYARD_DB``) through ``settings.load_settings``.

The root callback records its options here once per invocation (one process runs one command).
"""

from __future__ import annotations

from modelyard.settings import Settings, load_settings

_ROOT_OPTIONS: dict[str, str | None] = {"home": None, "db": None}


def set_root_options(home: str | None, db: str | None) -> None:
    _ROOT_OPTIONS.update(home=home, db=db)


def current_settings() -> Settings:
    return load_settings(_ROOT_OPTIONS["home"], _ROOT_OPTIONS["db"])
