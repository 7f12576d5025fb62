"""modelyard as scikit-learn estimators (layer 7, a front end like the CLI).

* ``Classifier`` / ``Regressor``: one named learner (``learner="lightgbm"``, ``params={...}``);
* ``AutoClassifier`` / ``AutoRegressor``: modelyard's search under a ``time_budget``.

They take DataFrames with mixed column types (or arrays), answer in the original labels, and work
with ``clone``, ``Pipeline``, ``cross_val_score`` and ``GridSearchCV``; the test suite runs
scikit-learn's own estimator checks on them. The fitted model is ``est.model_``: save it with
``est.model_.save(directory)`` and read it back with ``ModelBundle.load(directory)`` (or
``EnsembleBundle.load``). docs/sklearn.md shows them at work.
"""

from modelyard.sklearn.estimators import AutoClassifier, AutoRegressor, Classifier, Regressor
from modelyard.sklearn.inputs import InvalidInput, InvalidParameter

__all__ = [
    "AutoClassifier",
    "AutoRegressor",
    "Classifier",
    "InvalidInput",
    "InvalidParameter",
    "Regressor",
]
