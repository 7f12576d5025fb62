"""The package layers (docs/architecture.md): a module imports only from its own layer or below,
the registry keeps bytes and metadata (it never imports the model layer or learners), and serving
never imports training or search. Imports inside functions count: they are dependencies too."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "modelyard"
LAYERS = {
    # 0: the base every layer may use
    "errors": 0, "spec": 0, "settings": 0, "formats": 0, "atomic": 0, "hashing": 0, "names": 0,
    "durations": 0,
    "data": 1, "features": 1, "evaluation": 1,
    "training": 2, "learners": 2,
    "model": 3,
    "search": 4,
    "registry": 5, "feature_store": 5,
    "serving": 6, "monitoring": 6,
    "pipeline": 7, "orchestration": 7, "cli": 7, "ui": 7, "sklearn": 7, "__init__": 7,
    "__main__": 7,
}
NEVER = {  # package -> packages it must not import although they are below it
    "registry": {"learners", "model", "features", "training", "search"},
    "serving": {"training", "search"},
    "monitoring": {"training", "search"},
}
TOP_LEVEL = {"__version__"}  # names the light package module itself defines


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, first package under modelyard) of every modelyard import in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "modelyard":
                found += [(node.lineno, a.name) for a in node.names if a.name not in TOP_LEVEL]
            elif node.module.startswith("modelyard."):
                found.append((node.lineno, node.module.split(".")[1]))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name.split(".")[1]) for a in node.names
                      if a.name.startswith("modelyard.")]
    return found


def layer_violations(root: Path = SRC) -> list[str]:
    out = []
    for path in sorted(root.rglob("*.py")):
        package = path.relative_to(root).parts[0].removesuffix(".py")
        for line, other in _imports(path):
            where = f"{path.relative_to(root)}:{line}"
            if other not in LAYERS or package not in LAYERS:
                out.append(f"{where}: {package} or {other} has no layer in this test's table")
            elif LAYERS[other] > LAYERS[package]:
                out.append(f"{where}: {package} (layer {LAYERS[package]}) imports {other} "
                           f"(layer {LAYERS[other]})")
            elif other in NEVER.get(package, ()):
                out.append(f"{where}: {package} must not import {other}")
    return out


def test_every_import_goes_down_the_layers():
    assert layer_violations() == []


def test_the_check_finds_an_upward_import_and_a_forbidden_one(tmp_path):
    (tmp_path / "learners").mkdir()
    (tmp_path / "learners" / "bad.py").write_text(
        "def f():\n    from modelyard.registry.registry import Registry\n")
    (tmp_path / "registry").mkdir()
    (tmp_path / "registry" / "worse.py").write_text("import modelyard.model\n")
    assert layer_violations(tmp_path) == [
        "learners/bad.py:2: learners (layer 2) imports registry (layer 5)",
        "registry/worse.py:1: registry must not import model",
    ]
