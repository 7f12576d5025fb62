"""Command-line arguments a user mistypes or an attacker crafts: names, references, numbers,
filters, choices."""

from __future__ import annotations

import socket

from bad_input.harness import Probe

DATA_ARGS = ("{data}/telco_churn.csv", "--target", "Churn")
HUGE = "99999999999999999999999"
_HELD: list[socket.socket] = []  # listening sockets kept open for the life of the test process


def _port_in_use() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    _HELD.append(sock)
    return str(sock.getsockname()[1])

PROBES = [
    Probe("unknown-model", ("models", "show", "nosuchmodel"), says=("nosuchmodel",)),
    Probe("unknown-version", ("models", "show", "churn", "--limit", "0"), says=("--limit",)),
    Probe("version-too-large", ("models", "promote", "churn", HUGE), says=("version",)),
    Probe("version-zero", ("models", "delete", "churn", "0"), says=("version",)),
    Probe("offset-too-large", ("runs", "list", "--offset", HUGE), says=("--offset",)),
    Probe("unknown-run", ("runs", "show", "0123456789abcdef0123456789abcdef"), says=("no run",)),
    Probe("unknown-run-to-resume", ("train", "--resume", "20990101-000000-abcdef"),
          says=("no run",)),
    Probe("sql-in-a-filter", ("runs", "list", "--filter", "test_roc_auc > 0; drop table runs"),
          says=("filter",)),
    Probe("filter-on-a-metric-no-run-has", ("runs", "list", "--filter", "roc_auc > 0"),
          says=("no run has a metric 'roc_auc'", "test_roc_auc")),
    Probe("sql-in-a-model-name", ("models", "show", "churn'; drop table models; --"),
          says=("churn'; drop table models; --",)),
    Probe("keys-for-an-unregistered-model", ("keys", "create", "--name", "k",
                                             "--models", "nosuchmodel"),
          says=("nosuchmodel", "churn")),
    Probe("unknown-learner", ("train", *DATA_ARGS, "--model", "randomforest"),
          says=("unknown learner", "random_forest")),
    Probe("unknown-hyperparameter", ("train", *DATA_ARGS, "--model", "logistic", "--param",
                                     "depth=3"), says=("depth", "valid")),
    Probe("search-metric-unknown", ("train", *DATA_ARGS, "--metric", "acuracy", "--max-trials",
                                    "1"), says=("unknown metric 'acuracy'", "'accuracy'")),
    Probe("search-learner-unknown", ("train", *DATA_ARGS, "--learners", "lightgbm,xgb",
                                     "--max-trials", "1"), says=("unknown learner 'xgb'",)),
    Probe("search-learner-for-another-task", ("train", *DATA_ARGS, "--learners", "linear",
                                              "--max-trials", "1"),
          says=("'linear' does not serve binary",)),
    Probe("evaluation-metric-for-another-task", ("train", *DATA_ARGS, "--set",
                                                 "evaluation.metric=rmse"),
          says=("'rmse' does not apply to binary",)),
    Probe("checkpoint-dir-as-a-hyperparameter", ("train", *DATA_ARGS, "--model", "mlp",
                                                 "--param", "checkpoint_dir='{work}'"),
          says=("checkpoint_dir", "set by modelyard", "--resume")),
    *(Probe(f"choice-flag-{flag.strip('-')}", ("train", *DATA_ARGS, flag, "nope", *more,
                                                 "--dry-run"), says=("nope",))
      for flag, more in (("--task", ()), ("--split", ()), ("--quoting", ()), ("--format", ()),
                         ("--parallel", ("--max-trials", "2")), ("--on-bad-lines", ()))),
    Probe("choice-flag-unseen-categories", ("predict", "churn", "{data}/telco_churn.csv", "-o",
                                            "{work}/out.csv", "--unseen-categories", "nope"),
          says=("nope", "--unseen-categories")),
    Probe("learners-unknown-task", ("learners", "--task", "foo"), says=("binary",)),
    Probe("set-unknown-key", ("train", *DATA_ARGS, "--set", "model.treshold=none", "--dry-run"),
          says=("treshold", "threshold")),
    Probe("set-without-value", ("train", *DATA_ARGS, "--set", "model.threshold"),
          says=("KEY.PATH=VALUE",)),
    Probe("ratios-that-do-not-add-up", ("data", "split", *DATA_ARGS, "--ratios", "0.5,0.5"),
          says=("ratios",)),
    Probe("model-and-search-together", ("train", *DATA_ARGS, "--model", "logistic",
                                        "--time-budget", "10"), says=("not both",)),
    Probe("model-name-dot-dot", ("train", *DATA_ARGS, "--name", "..", "--dry-run"),
          says=("'name'", "starting with a letter or a digit")),
    Probe("model-name-like-a-flag", ("train", *DATA_ARGS, "--name=-x", "--dry-run"),
          says=("'name'", "starting with a letter or a digit")),
    Probe("key-name-with-a-space", ("keys", "create", "--name", "two words"),
          says=("invalid API key name",)),
    Probe("alias-with-a-slash", ("models", "promote", "churn", "1", "--alias", "a/b"),
          says=("invalid alias name",)),
    Probe("serve-port-in-use", ("serve", "--port", _port_in_use()),
          says=("in use", "--port")),
    Probe("serve-port-out-of-range", ("serve", "--port", "99999"), says=("--port",)),
    Probe("serve-unknown-log-level", ("serve", "--log-level", "nope"), says=("log-level",)),
    Probe("serve-no-workers", ("serve", "--workers", "0"),
          says=("--workers", "greater than or equal to 1")),
    Probe("serve-workers-not-a-number", ("serve", "--workers", "two"), says=("--workers",)),
    Probe("export-unknown-model", ("export", "nosuchmodel", "-o", "{work}/m.onnx"),
          says=("nosuchmodel",)),
    Probe("export-unknown-version", ("export", "churn:99", "-o", "{work}/m.onnx"),
          says=("churn",)),
    Probe("export-unknown-format", ("export", "churn", "--format", "pmml", "-o",
                                    "{work}/m.onnx"), says=("'pmml'", "onnx")),
    Probe("export-over-an-existing-file", ("export", "churn", "-o", "{work}/m.onnx"),
          files={"m.onnx": "keep me"}, says=("exists already", "--force")),
    Probe("export-to-a-folder", ("export", "churn", "-o", "{work}", "--force"),
          says=("is a folder",)),
    Probe("export-into-a-missing-folder", ("export", "churn", "-o", "{work}/no/m.onnx"),
          says=("does not exist",)),
]
