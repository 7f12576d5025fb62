"""The monitoring and retraining commands (issue 20) given what users get wrong: a model or
version that does not exist, missing and empty files, labels nobody can join (unknown ids, given
twice, of the wrong type, without a label column), a log from several versions and with a column
missing, a cron or webhook that does not parse, durations that are not durations.

The store every probe copies holds a prediction log of 'churn' (``log_predictions``): 150 rows
logged by version 1 (request ids ``req-000`` .. ``req-119`` one record each, ``req-batch`` with
30), 5 rows logged by a version 2 in their own folder, and 5 more of version 1 in a file without
the ``tenure`` column. A killed retrain (a watcher SIGKILLed mid-train) is covered with real
processes in tests/e2e/test_cli_watch.py, not here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from bad_input.harness import DATA, Probe

SINGLE, BATCH = 120, 30
TELCO = pd.read_csv(DATA / "telco_churn.csv").head(SINGLE + BATCH)
CHURN = TELCO["Churn"].tolist()


def log_predictions(home: Path) -> None:
    """The prediction log described above, written by the server's own PredictionLog with the
    registered model's predictions."""
    import modelyard.model  # noqa: F401 - registers the bundle format
    from modelyard.registry.registry import Registry
    from modelyard.serving.predict import predict_batch
    from modelyard.serving.predlog import LoggedBatch, PredictionLog
    from modelyard.settings import load_settings

    with Registry.open(load_settings(home)) as registry:
        bundle = registry.load("churn:1").model
    names = bundle.schema.names
    features = TELCO.drop(columns=["Churn"])
    features["TotalCharges"] = pd.to_numeric(features["TotalCharges"], errors="coerce")
    outputs = predict_batch(bundle, features[names]).outputs
    inputs = features[[*names, "customerID"]]
    at = datetime.now(UTC)

    def batch(version: int, request_id: str, rows: slice, columns: list[str]) -> LoggedBatch:
        return LoggedBatch("churn", version, f"churn:{version}", request_id, at,
                           inputs.iloc[rows][columns].reset_index(drop=True),
                           outputs.iloc[rows].reset_index(drop=True))

    for batches in (
        [batch(1, f"req-{i:03d}", slice(i, i + 1), list(inputs)) for i in range(SINGLE)]
        + [batch(1, "req-batch", slice(SINGLE, None), list(inputs)),
           batch(2, "req-v2", slice(0, 5), list(inputs))],
        [batch(1, "req-notenure", slice(5, 10), [c for c in inputs if c != "tenure"])],
    ):
        log = PredictionLog(home / "predictions", batch_rows=100_000, flush_s=60).start()
        for one in batches:
            log.append(one)
        log.close()


def _labels(rows: list[tuple[str, object]], label: str = "label") -> str:
    return f"request_id,{label}\n" + "".join(f"{r},{v}\n" for r, v in rows)


GOOD = [(f"req-{i:03d}", CHURN[i]) for i in range(10)]
FEEDBACK = ("monitor", "feedback", "churn", "{work}/labels.csv")

PROBES = [
    # monitor drift
    Probe("drift-unknown-model", ("monitor", "drift", "nosuch"), says=("nosuch",)),
    Probe("drift-unknown-version", ("monitor", "drift", "churn:9"), says=("9",)),
    Probe("drift-missing-file", ("monitor", "drift", "churn", "--data", "{work}/nope.csv"),
          says=("not found",)),
    Probe("drift-empty-file", ("monitor", "drift", "churn", "--data", "{work}/empty.csv"),
          says=("empty",), files={"empty.csv": ""}),
    Probe("drift-since-not-a-duration", ("monitor", "drift", "churn", "--since", "7 days"),
          says=("--since must be", "'7 days'", "7d")),
    Probe("drift-since-zero", ("monitor", "drift", "churn", "--since", "0d"),
          says=("--since must be", "'0d'")),
    Probe("drift-log-of-several-versions-and-a-missing-column",
          ("monitor", "drift", "churn", "--json"), code=0,
          stdout=('"other versions": 5', '"rows": 155'), never=("Traceback",)),
    # monitor feedback
    Probe("feedback-unknown-model", ("monitor", "feedback", "nosuch", "{work}/labels.csv"),
          says=("nosuch",), files={"labels.csv": _labels(GOOD)}),
    Probe("feedback-missing-file", FEEDBACK, says=("not found",)),
    Probe("feedback-empty-file", FEEDBACK, says=("empty",), files={"labels.csv": ""}),
    Probe("feedback-header-only", FEEDBACK, says=("no rows",),
          files={"labels.csv": "request_id,label\n"}),
    Probe("feedback-only-unknown-ids", FEEDBACK,
          says=("none of the 2 labels", "no logged prediction", "nope-1"),
          files={"labels.csv": _labels([("nope-1", "Yes"), ("nope-2", "No")])}),
    Probe("feedback-some-unknown-ids-counted", FEEDBACK, code=0, adds=True,
          stdout=("10 of 12 labels stored", "2 address no logged prediction", "nope-1"),
          files={"labels.csv": _labels([*GOOD, ("nope-1", "Yes"), ("nope-2", "No")])}),
    Probe("feedback-duplicate-labels-counted", FEEDBACK, code=0, adds=True,
          stdout=("10 of 12 labels stored", "2 replaced"),
          files={"labels.csv": _labels([*GOOD, *GOOD[:2]])}),
    Probe("feedback-wrong-type-labels-counted", FEEDBACK, code=0, adds=True,
          stdout=("10 of 12 labels stored", "2 are not labels the model predicts", "maybe"),
          files={"labels.csv": _labels([*GOOD, ("req-010", "maybe"), ("req-011", 3)])}),
    Probe("feedback-only-wrong-type-labels", FEEDBACK, says=("none of the 2", "one of No, Yes"),
          files={"labels.csv": _labels([("req-010", "maybe"), ("req-011", 3)])}),
    Probe("feedback-no-label-column", FEEDBACK, says=("label",),
          files={"labels.csv": _labels(GOOD, label="outcome")}),
    Probe("feedback-batch-without-row", FEEDBACK, says=("ambiguous",),
          files={"labels.csv": _labels([("req-batch", "Yes")])}),
    Probe("feedback-key-not-logged", (*FEEDBACK, "--key", "Churn"),
          says=("has no input column 'Churn'",),
          files={"labels.csv": "Churn,label\nYes,Yes\n"}),
    # monitor performance
    Probe("performance-unknown-model", ("monitor", "performance", "nosuch"), says=("nosuch",)),
    Probe("performance-unknown-version", ("monitor", "performance", "churn:9"), says=("9",)),
    Probe("performance-window-not-a-duration", ("monitor", "performance", "churn", "--window",
                                                "1 day"), says=("--window must be", "'1 day'")),
    Probe("performance-window-upper-case", ("monitor", "performance", "churn", "--window", "1D"),
          says=("--window must be", "lower-case", "'1D'")),
    Probe("performance-since-not-a-time", ("monitor", "performance", "churn", "--since",
                                           "yesterday"), says=("--since must be", "ISO time")),
    # retrain and watch
    Probe("retrain-unknown-model", ("retrain", "nosuch"), says=("nosuch",)),
    Probe("retrain-unknown-model-forced", ("retrain", "nosuch", "--force"), says=("nosuch",)),
    Probe("watch-unknown-model", ("watch", "nosuch", "--once"), says=("nosuch",)),
    Probe("watch-interval-zero", ("watch", "churn", "--once", "--interval", "0s"),
          says=("--interval must be", "'0s'", "60s")),
    Probe("watch-interval-without-unit", ("watch", "churn", "--once", "--interval", "60"),
          says=("--interval must be", "'60'")),
    Probe("watch-webhook-not-a-url", ("watch", "churn", "--once", "--webhook", "hooks.example"),
          says=("--webhook", "hooks.example", "http")),
    Probe("watch-webhook-without-host", ("watch", "churn", "--once", "--webhook", "https://"),
          says=("--webhook", "https://")),
]

_SPEC = """name: churn2
data: {{source: {{path: {data}/telco_churn.csv}}, target: Churn}}
model: logistic
retrain: {retrain}
"""
for name, retrain, says in (
    ("spec-cron-does-not-parse", "{triggers: {schedule: '61 * * * *'}}", ("does not parse",)),
    ("spec-cron-four-fields", "{triggers: {schedule: '0 3 * *'}}", ("does not parse",)),
    ("spec-webhook-not-a-url", "{webhook: 'hooks.example/x'}", ("webhook", "hooks.example")),
    ("spec-drift-since-not-a-duration", "{triggers: {drift: {since: 7 days}}}",
     ("retrain.triggers.drift.since", "7 days")),
    ("spec-drift-window-zero", "{triggers: {drift: {metric: f1, below: 0.7, window: 0h}}}",
     ("retrain.triggers.drift.window", "0h")),
):
    PROBES.append(Probe(name, ("train", "{work}/spec.yaml"), says=says,
                        files={"spec.yaml": _SPEC.format(data=DATA, retrain=retrain)}))
