"""Every command's help reads cleanly on an 80-column terminal, as plain text."""

from __future__ import annotations

import pytest

from modelyard.cli import command, main
from modelyard.cli.helptext import walk

COMMANDS = [path for path, _ in walk(command())]


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "modelyard")
def test_help_fits_80_columns_as_plain_text(path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert main([*path, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Usage: modelyard")
    too_wide = [line for line in out.splitlines() if len(line) > 80]
    assert not too_wide, too_wide
    for markup in ("`", "<bool>", "list[", "[bold", "[/"):
        assert markup not in out, (markup, out)


def test_every_option_that_takes_a_value_names_it_briefly():
    for path, cmd in walk(command()):
        for param in cmd.params:
            if param.param_type_name == "option" and not getattr(param, "is_flag", False):
                assert param.metavar and param.metavar.isupper(), (path, param.name)
