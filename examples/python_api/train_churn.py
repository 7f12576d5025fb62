"""Train a churn model from Python on the Telco slice, look at it, promote it, load it back.

    python examples/python_api/train_churn.py            # a 30 s search
    python examples/python_api/train_churn.py --max-trials 3 --home /tmp/churn-home   # quick
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import modelyard as my

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "telco_churn.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-budget", type=float, default=30.0, help="seconds of search")
    parser.add_argument("--max-trials", type=int, help="a trial count instead of a budget")
    parser.add_argument("--home", help="the store (default: MODELYARD_HOME or ./.modelyard)")
    args = parser.parse_args()

    churn = pd.read_csv(DATA)
    bound = {"max_trials": args.max_trials} if args.max_trials else {
        "time_budget": args.time_budget}
    result = my.train(churn, target="Churn", name="churn", home=args.home,
                      spec={"data": {"drop": ["customerID"]}}, **bound)
    print(f"{result.learner}: test {result.primary_metric} "
          f"{result.metrics['test'].value:.3f} (run {result.run_id})")
    print(result.leaderboard()[["trial", "learner", "status", "score"]].head(5).to_string())
    print("promoted:", result.register(alias="production"))

    model = my.load("churn@production", home=args.home)
    rows = churn.drop(columns=["Churn"]).sample(5, random_state=0)
    for customer, label in zip(rows["customerID"], model.predict(rows), strict=True):
        print(f"{customer}: {label}")


if __name__ == "__main__":
    main()
