"""modelyard: self-hosted model training, from a table to an evaluated, registered model.

In Python, ``modelyard.load("churn@production").predict(frame)`` loads a registered model version
(verified by hash) and predicts in the original label space.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


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
