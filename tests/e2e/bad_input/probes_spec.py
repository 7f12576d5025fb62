"""Spec files that are wrong, odd or hostile."""

from __future__ import annotations

from bad_input.harness import DATA, Probe

SOURCE = f"data:\n  source: {{path: {DATA / 'telco_churn.csv'}}}\n  target: Churn\n"

PROBES = [
    Probe("spec-missing", ("train", "{work}/nope.yaml"), says=("not found",)),
    Probe("spec-unknown-key", ("train", "{work}/spec.yaml"), says=("splitt", "split"),
          files={"spec.yaml": SOURCE + "splitt: {method: random}\n"}),
    Probe("spec-not-a-mapping", ("train", "{work}/spec.yaml"), says=("mapping",),
          files={"spec.yaml": "- just\n- a list\n"}),
    Probe("spec-python-tag", ("train", "{work}/spec.yaml"), says=("spec.yaml",),
          files={"spec.yaml": SOURCE + "model: !!python/object/apply:os.system [echo hi]\n"}),
    Probe("spec-bad-yaml", ("train", "{work}/spec.yaml"), says=("yaml",),
          files={"spec.yaml": SOURCE + "model: [unclosed\n"}),
    Probe("spec-model-and-search", ("train", "{work}/spec.yaml"), says=("not both",),
          files={"spec.yaml": SOURCE + "model: logistic\nsearch: {max_trials: 2}\n"}),
    Probe("spec-search-without-bound", ("train", "{work}/spec.yaml"), says=("bound",),
          files={"spec.yaml": SOURCE + "search: {folds: 3}\n"}),
]
