"""Learner families, one per module.

``linear`` ('logistic', 'linear'), ``forest`` ('random_forest', 'extra_trees'), ``gbdt_lightgbm``
('lightgbm'), ``gbdt_xgboost`` ('xgboost'), ``gbdt_catboost`` ('catboost') and ``neural`` (the
PyTorch MLP). Families register themselves when imported; ``base.get_learner(name)`` imports only
the family it needs and ``base.available()`` imports them all. The three boosters share their
early-stopping check and saved stopping facts through ``boosting``.
"""
