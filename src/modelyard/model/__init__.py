"""A fitted model as one object, and the one way to fit one (layer 3).

Between ``learners``/``features`` below and ``search``, ``registry``, ``serving`` above:

* ``ModelBundle``: schema check + fitted preprocessing + learner + labels (``model.bundle``);
* ``EnsembleBundle``: a weighted average of bundles, used and saved like one
  (``model.ensemble``);
* ``Labels`` and ``encode_target``: the target's labels and their class codes (``model.labels``);
* ``fit_model``: preprocessing and a learner fitted together on raw rows (``model.fit``);
* ``ForecastModel``: the forecasters a forecast search chose, with the history they forecast
  from and their interval calibration (``model.forecast``), format 'modelyard.forecast';
* the single-row fast path behind ``predict_row``: the schema check and preprocessing compiled
  once per model into arrays and lookup tables, the learner predicting from a NumPy row
  (``model.fastpath``).

Both model kinds take raw DataFrame rows and answer in the original labels (``predict``,
``predict_proba``, ``predict_frame``; ``model.base``). Importing this package registers their
saved formats, 'modelyard.bundle' and 'modelyard.ensemble', in ``modelyard.formats``, through
which the registry loads a stored version.
"""

from modelyard.model.base import PREDICTION, PROBA_PREFIX, FittedModel
from modelyard.model.bundle import ModelBundle
from modelyard.model.ensemble import EnsembleBundle
from modelyard.model.fit import FitResult, check_learner, fit_model, make_learner
from modelyard.model.forecast import ForecastModel
from modelyard.model.labels import Labels, encode_target

MODEL_TYPES = (ModelBundle, EnsembleBundle)  # what a registered model version loads as

__all__ = [
    "MODEL_TYPES",
    "PREDICTION",
    "PROBA_PREFIX",
    "EnsembleBundle",
    "FitResult",
    "FittedModel",
    "ForecastModel",
    "Labels",
    "ModelBundle",
    "check_learner",
    "encode_target",
    "fit_model",
    "make_learner",
]
