"""Learner families; importing this package registers every built-in learner.

One family per module: ``linear`` ('logistic', 'linear'), ``forest`` ('random_forest',
'extra_trees'), ``gbdt_lightgbm`` ('lightgbm'), ``gbdt_xgboost`` ('xgboost') and ``neural``
(the PyTorch MLP). ``modelyard.learners.base.available()`` lists what registered.
"""

from modelyard.learners import forest, gbdt_lightgbm, gbdt_xgboost, linear, neural  # noqa: F401
