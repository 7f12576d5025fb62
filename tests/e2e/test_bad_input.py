"""Every probe of hostile, malformed and edge-case input, through the real CLI.

The probes are data, one module per area under ``bad_input/``; each runs in a fresh process
against its own copy of a store that already holds a registered model, and must end as a user
error (exit 2, message, hint, no traceback, the words it names) that leaves the store unchanged.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from bad_input import (
    probes_artifacts,
    probes_cli,
    probes_data,
    probes_monitor,
    probes_numbers,
    probes_spec,
)
from bad_input.harness import (
    KEPT,
    Probe,
    assert_nothing_lost,
    assert_user_error,
    churn_store,
    run_cli,
    store_state,
    write_files,
)

PROBES: list[Probe] = [*probes_cli.PROBES, *probes_data.PROBES, *probes_spec.PROBES,
                       *probes_artifacts.PROBES, *probes_numbers.PROBES, *probes_monitor.PROBES]


@pytest.fixture(scope="session")
def template_home(tmp_path_factory) -> Path:
    """A store holding one registered version of 'churn' (trained once per session) and a
    prediction log of it (probes_monitor.log_predictions)."""
    home = tmp_path_factory.mktemp("bad-input") / "home"
    churn_store(home)
    probes_monitor.log_predictions(home)
    return home


def test_probe_names_are_unique():
    names = [p.name for p in PROBES]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


@pytest.mark.parametrize("probe", PROBES, ids=lambda p: p.name)
def test_bad_input_is_a_clear_error_that_changes_nothing(probe, template_home, tmp_path):
    home = tmp_path / "home"
    shutil.copytree(template_home, home)
    work = tmp_path / "work"
    work.mkdir()
    write_files(work, probe)
    before = store_state(home, KEPT)
    done = run_cli(home, work, probe.args, timeout=probe.timeout)
    assert_user_error(done, probe)
    assert_nothing_lost(before, store_state(home, KEPT), probe)
