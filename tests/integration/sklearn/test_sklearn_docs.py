"""docs/sklearn.md runs as written: its ```python blocks, in order, in one namespace, from the
repository root (the examples read tests/data)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def test_the_examples_in_docs_sklearn_run(monkeypatch, capsys):
    blocks = BLOCK.findall((ROOT / "docs" / "sklearn.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 4
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    for number, code in enumerate(blocks, 1):
        exec(compile(code, f"docs/sklearn.md block {number}", "exec"), namespace)
    out = capsys.readouterr().out
    assert "['No' 'Yes']" in out
    assert namespace["grid"].best_params_["learner"] in {"logistic", "random_forest"}
    assert (namespace["model"].predict(namespace["X"].head(3))
            == namespace["clf"].predict(namespace["X"].head(3))).all()
