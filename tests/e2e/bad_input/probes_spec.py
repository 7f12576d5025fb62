"""Spec files that are wrong, odd or hostile."""

from __future__ import annotations

from bad_input.harness import DATA, Probe

SOURCE = f"data:\n  source: {{path: {DATA / 'telco_churn.csv'}}}\n  target: Churn\n"


def _levels(levels: int) -> list[str]:
    """Anchors ``a0..a{levels}``, each a list of nine aliases of the one before."""
    return ["a0: &a0 [x, x, x, x, x, x, x, x, x]"] + [
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]


def _bomb(levels: int) -> str:
    """The 741-byte spec of issue 29: nested anchors under model.params.class_weight."""
    return (SOURCE + "model:\n  learner: logistic\n  params:\n    class_weight:\n"
            + "".join(f"      {line}\n" for line in _levels(levels)))


def _flow_bomb(levels: int) -> str:
    """The same on one line, as a --set value (braces doubled: probe arguments are formatted)."""
    return "{{" + ", ".join(_levels(levels)) + "}}"

PROBES = [
    Probe("spec-missing", ("train", "{work}/nope.yaml"), says=("not found",)),
    Probe("spec-unknown-key", ("train", "{work}/spec.yaml"), says=("splitt", "split"),
          files={"spec.yaml": SOURCE + "splitt: {method: random}\n"}),
    Probe("spec-not-a-mapping", ("train", "{work}/spec.yaml"), says=("mapping",),
          files={"spec.yaml": "- just\n- a list\n"}),
    Probe("spec-python-tag", ("train", "{work}/spec.yaml"),
          says=("spec.yaml line 4", "tags are not allowed", "!!python/object/apply:os.system"),
          files={"spec.yaml": SOURCE + "model: !!python/object/apply:os.system [echo hi]\n"}),
    Probe("spec-custom-tag", ("data", "profile", "{work}/spec.yaml"),
          says=("tags are not allowed", "'!include'"),
          files={"spec.yaml": SOURCE + "split: !include split.yaml\n"}),
    Probe("spec-bad-yaml", ("train", "{work}/spec.yaml"), says=("not valid yaml at line 5",),
          files={"spec.yaml": SOURCE + "model: [unclosed\n"}),
    # issue 29 item 1: nested anchors expanded without bound (151 MB stored with the run)
    Probe("spec-alias-bomb", ("train", "{work}/spec.yaml"),
          says=("aliases expand it to", "at most 10,000", "*a6"), files={"spec.yaml": _bomb(7)}),
    Probe("spec-alias-bomb-in-set", ("train", "{data}/telco_churn.csv", "--target", "Churn",
                                     "--set", "model.params.class_weight=" + _flow_bomb(7)),
          says=("--set model.params.class_weight", "aliases expand")),
    Probe("spec-recursive-alias", ("train", "{work}/spec.yaml"),
          says=("inside its own anchor",),
          files={"spec.yaml": SOURCE + "model: &m {learner: logistic, params: {x: *m}}\n"}),
    Probe("spec-duplicate-key", ("train", "{work}/spec.yaml"),
          says=("'model' appears twice", "line 4 and line 5"),
          files={"spec.yaml": SOURCE + "model: logistic\nmodel: lightgbm\n"}),
    Probe("spec-duplicate-nested-key", ("data", "profile", "{work}/spec.yaml"),
          says=("'data.target' appears twice",),
          files={"spec.yaml": SOURCE + "  target: gender\n"}),
    # issue 29 item 2: a latin-1 letter in a comment was a UnicodeDecodeError traceback
    Probe("spec-latin-1", ("train", "{work}/spec.yaml"),
          says=("not utf-8", "byte 0xe9 at line 4"),
          files={"spec.yaml": SOURCE.encode() + b"# caf\xe9\nmodel: logistic\n"}),
    Probe("spec-latin-1-profile", ("data", "profile", "{work}/spec.yaml"),
          says=("not utf-8", "byte 0xe9"),
          files={"spec.yaml": SOURCE.encode() + b"# caf\xe9\n"}),
    Probe("spec-binary", ("train", "{work}/spec.yaml"), says=("binary data",),
          files={"spec.yaml": (DATA / "m4_hourly.parquet").read_bytes()[:4000]}),
    Probe("spec-too-large", ("train", "{work}/spec.yaml"), says=("larger than 1,000,000 bytes",),
          files={"spec.yaml": SOURCE + "#" * 1_000_001 + "\n"}),
    Probe("spec-deeply-nested", ("train", "{work}/spec.yaml"), says=("too deeply",),
          files={"spec.yaml": SOURCE + "model: " + "[" * 20_000 + "]" * 20_000 + "\n"}),
    Probe("spec-path-is-a-folder", ("train", "{work}/specs.yaml"), says=("is a folder",),
          prepare=lambda work: (work / "specs.yaml").mkdir()),
    # issue 29 item 10: a glob resolved against the working directory, a file name against the
    # spec's folder; now both against the spec's folder, from any working directory
    Probe("spec-glob-from-another-folder", ("data", "profile", "{work}/specs/spec.yaml",
                                            "--json"), code=0,
          stdout=('"task": "binary"', "/specs/*.csv"),
          files={"specs/spec.yaml": "data:\n  source: {path: '*.csv'}\n  target: Churn\n",
                 "specs/telco.csv": (DATA / "telco_churn.csv").read_text(encoding="utf-8"),
                 "decoy.csv": "a,b\n1,2\n3,4\n"}),
    # hyperparameters: plain, bounded values the learner can take; a spec error, never a run
    Probe("spec-param-out-of-range", ("train", "{work}/spec.yaml"),
          says=("parameter 'c' expected a number in (0, inf]", "got -1.0", "model.params.c"),
          files={"spec.yaml": SOURCE + "model: {learner: logistic, params: {C: -1.0}}\n"}),
    Probe("spec-param-huge-list", ("train", "{work}/spec.yaml"),
          says=("'hidden_sizes'", "a list of 5,000 items"),
          files={"spec.yaml": SOURCE + "model: {learner: mlp, params: {hidden_sizes: ["
                 + ", ".join(["8"] * 5000) + "]}}\n"}),
    Probe("spec-param-nested-mapping", ("train", "{data}/telco_churn.csv", "--target", "Churn",
                                        "--model", "lightgbm", "--param",
                                        "class_weight={{0: {{1: 2}}}}"),
          says=("'class_weight'", "nested")),
    Probe("spec-param-deep-literal", ("train", "{data}/telco_churn.csv", "--target", "Churn",
                                      "--model", "logistic", "--param", "C=" + "-" * 50_000 + "1"),
          says=("'c'", "a text of 50,001 characters")),
    Probe("spec-param-beyond-library", ("train", "{data}/telco_churn.csv", "--target", "Churn",
                                        "--model", "lightgbm", "--param", "num_leaves=200000"),
          says=("'num_leaves' expected an integer in [2, 131072]",)),
    Probe("spec-param-for-another-task", ("train", "{data}/telco_churn.csv", "--target",
                                          "MonthlyCharges", "--model", "random_forest",
                                          "--param", "class_weight=balanced"),
          says=("applies to classification", "regression task")),
    Probe("spec-model-and-search", ("train", "{work}/spec.yaml"), says=("not both",),
          files={"spec.yaml": SOURCE + "model: logistic\nsearch: {max_trials: 2}\n"}),
    Probe("spec-search-without-bound", ("train", "{work}/spec.yaml"), says=("bound",),
          files={"spec.yaml": SOURCE + "search: {folds: 3}\n"}),
    Probe("spec-search-deploy-unknown", ("train", "{work}/spec.yaml"),
          says=("search.deploy", "'refit' or 'bagged'"),
          files={"spec.yaml": SOURCE + "search: {max_trials: 2, deploy: fast}\n"}),
]
