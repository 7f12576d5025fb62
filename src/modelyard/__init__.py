"""modelyard: self-hosted model training, from a table to an evaluated, registered model.

In Python, ``modelyard.train(frame, target="Churn", time_budget=60)`` trains, evaluates and
registers a model as ``modelyard train`` does; ``modelyard.load("churn@production").predict(frame)``
loads a registered model version (verified by hash) and predicts in the original label space.
docs/python.md describes both; ``modelyard.export_onnx("churn@production", "churn.onnx")`` writes
a version as an ONNX graph for serving without modelyard (docs/export.md).
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def train(data: Any = None, **options: Any) -> Any:
    """Train, evaluate and register a model, as ``modelyard train`` does (docs/python.md).

    ``data``: a pandas DataFrame, a path to a data file or a spec .yaml, or None with
    ``spec=``. Options: ``target``, ``model`` (+ ``params``), ``time_budget``, ``max_trials``,
    ``metric``, ``learners``, ``spec``, ``name``, ``task``, ``seed``, ``register`` (default
    True), ``home``, ``db``, ``on_step``. Returns a result with ``model``, ``metrics``,
    ``leaderboard()`` and ``register(name, alias=)``.
    """
    from modelyard.orchestration.python_api import train as run  # the heavy stack, on demand

    return run(data, **options)


def load(ref: str, *, home: str | None = None, db: str | None = None) -> Any:
    """Load a registered model: ``'name'``, ``'name@alias'`` or ``'name:version'``.

    Returns a ``ModelBundle`` (or an ``EnsembleBundle``) with ``predict``, ``predict_proba`` and
    ``predict_frame``. The store is ``MODELYARD_HOME`` (or ``home``) and ``MODELYARD_DB`` (or
    ``db``) as for the CLI.
    """
    import modelyard.model  # noqa: F401  (registers the model formats)
    from modelyard.registry.registry import Registry
    from modelyard.settings import load_settings

    with Registry.open(load_settings(home, db)) as registry:
        return registry.load(ref).model


def export_onnx(model: Any, path: Any, *, force: bool = False, home: str | None = None,
                db: str | None = None) -> Any:
    """Write a model as one ONNX graph: raw feature columns in, ``prediction`` (and, for a
    classifier, ``probabilities``) out (docs/export.md). Needs ``pip install "modelyard[onnx]"``.

    ``model``: a registered model's reference (``'churn'``, ``'churn@production'``,
    ``'churn:3'``, loaded from the store as ``load`` does) or a loaded model. ``path``: the .onnx
    file; an existing one is kept unless ``force``. Returns the path written (a ``Path``).
    """
    from modelyard.model.export import export_onnx as write

    fitted = load(model, home=home, db=db) if isinstance(model, str) else model
    return write(fitted, path, force=force)
