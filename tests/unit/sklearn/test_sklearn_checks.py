"""scikit-learn's own estimator checks, run on the four modelyard estimators.

The instances use fast settings (the logistic and ridge learners; a search bounded by two trials
instead of a time budget, so that two fits with one seed agree, as ``check_fit_idempotent``
asks). Every check runs; none is expected to fail (``EXPECTED_FAILED`` is empty: a check that
cannot apply would be listed there with its reason).
"""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from modelyard.sklearn import AutoClassifier, AutoRegressor, Classifier, Regressor

ESTIMATORS = [
    Classifier(learner="logistic"),
    Regressor(learner="linear"),
    AutoClassifier(time_budget=None, max_trials=2, learners=["logistic"]),
    AutoRegressor(time_budget=None, max_trials=2, learners=["linear"]),
]
EXPECTED_FAILED: dict[str, dict[str, str]] = {}  # estimator class -> {check name: reason}


def expected_failed(estimator) -> dict[str, str]:
    return EXPECTED_FAILED.get(type(estimator).__name__, {})


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed, xfail_strict=True)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
