"""Cross-validate modelyard's AutoClassifier against plain scikit-learn models on Telco churn.

Every model gets the same folds and is scored by ROC AUC on the rows it did not see. The
scikit-learn models need their preprocessing written out (a ColumnTransformer that types the
columns); AutoClassifier takes the raw table.

    .venv/bin/python examples/sklearn/compare.py          # the 317-row slice, 20 s a fold
    .venv/bin/python examples/sklearn/compare.py --max-trials 2 --folds 2       # a quick look
    .venv/bin/python examples/sklearn/compare.py --budget 60 --data FULL_CSV  # all 7,043 rows

where FULL_CSV is examples/churn/Telco-Customer-Churn.csv.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from modelyard.sklearn import AutoClassifier

ROOT = Path(__file__).resolve().parents[2]


def plain_features(X: pd.DataFrame) -> pd.DataFrame:
    """What a scikit-learn user does by hand: drop the id, parse TotalCharges (blank -> NaN)."""
    X = X.drop(columns=["customerID"])
    return X.assign(TotalCharges=pd.to_numeric(X["TotalCharges"], errors="coerce"))


def sklearn_models(seed: int) -> dict[str, object]:
    numbers, texts = make_column_selector(dtype_include="number"), make_column_selector(
        dtype_exclude="number")
    logistic = make_pipeline(
        make_column_transformer(
            (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numbers),
            (OneHotEncoder(handle_unknown="ignore"), texts)),
        LogisticRegression(max_iter=1000))
    boosting = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore", sparse_output=False), texts),
            remainder="passthrough"),
        HistGradientBoostingClassifier(random_state=seed))
    return {"sklearn LogisticRegression": logistic, "sklearn HistGradientBoosting": boosting}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "telco_churn.csv")
    parser.add_argument("--budget", type=float, default=20.0,
                        help="AutoClassifier's seconds per fold (default 20)")
    parser.add_argument("--max-trials", type=int, default=None,
                        help="bound the search by this many configurations instead of time")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    table = pd.read_csv(args.data)
    X, y = table.drop(columns=["Churn"]), table["Churn"]
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=args.seed)
    print(f"{args.data.name}: {len(table)} rows, {args.folds} folds, ROC AUC on held-out rows")
    budget = None if args.max_trials else args.budget
    auto = AutoClassifier(time_budget=budget, max_trials=args.max_trials, random_state=args.seed)
    bound = f"{args.max_trials} trials" if args.max_trials else f"{args.budget:g} s"
    runs = [(f"modelyard AutoClassifier ({bound})", auto, X)]
    runs += [(name, model, plain_features(X)) for name, model in sklearn_models(args.seed).items()]
    for name, model, rows in runs:
        started = time.perf_counter()
        scores = cross_val_score(model, rows, y, cv=folds, scoring="roc_auc")
        seconds = time.perf_counter() - started
        print(f"{name:<38} {scores.mean():.4f} +- {scores.std():.4f}   {seconds:6.1f} s")


if __name__ == "__main__":
    main()
