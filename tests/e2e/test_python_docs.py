"""Every ```python block of docs/python.md runs, in order, in a fresh store, from the repository
root (the page's data paths are relative to it): the documented API cannot drift from the code."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "python.md"


def blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", PAGE.read_text(encoding="utf-8"), re.M | re.S)


def test_the_python_page_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("MODELYARD_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(ROOT)
    code = blocks()
    assert len(code) >= 6, "docs/python.md lost its examples"
    namespace: dict = {"__name__": "docs_python"}
    for number, block in enumerate(code, 1):
        exec(compile(block, f"{PAGE.name} block {number}", "exec"), namespace)  # noqa: S102
    assert namespace["result"].version == 1
    assert namespace["model"].predict(namespace["rows"]).shape == (5,)
