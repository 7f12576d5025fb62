"""Before a run exists: read, type and split the data, encode the target, name the model, and
check every name in the spec that needs the task. What fails here is the user's to fix, so it
fails before anything is recorded: no run, no files.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from modelyard.data.dataset import Dataset, load_dataset, require_features, split_dataset
from modelyard.data.split import Split
from modelyard.errors import DataError, SpecError
from modelyard.evaluation.metrics import get_metric
from modelyard.model import Labels, check_learner, encode_target
from modelyard.search.orchestrator import search_learners
from modelyard.spec.models import DATAFRAME, Spec

Step = Callable[[str], None]


def quiet(_: str) -> None:
    """A step callback that shows nothing."""
    return None


@dataclass
class Prepared:
    """A dataset with its split and encoded target."""

    dataset: Dataset
    split: Split
    y: np.ndarray  # class codes or floats, one per row of dataset.frame
    labels: Labels | None  # the classes by code (classification)


def prepare(spec: Spec, on_step: Step = quiet, frame: pd.DataFrame | None = None) -> Prepared:
    """Read, type and split the data of ``spec`` (``frame``: the rows of a 'dataframe' source);
    encode the target."""
    on_step("reading and typing the data")
    dataset = load_dataset(spec.data, task=spec.task, frame=frame, split=spec.split)
    if dataset.target is None:
        raise SpecError("no target column given", hint="set data.target in the spec or --target")
    require_features(dataset)
    on_step("splitting")
    split = split_dataset(dataset, spec.split, spec.seed)
    y, labels = encode_target(dataset.frame[dataset.target], dataset.task)
    return Prepared(dataset, split, y, labels)


def model_name(spec: Spec) -> str:
    """The registry name: the spec's ``name``, else one derived from the data and target."""
    if spec.name:
        return spec.name
    if spec.data.source.format == DATAFRAME:
        return re.sub(r"[^A-Za-z0-9_.\-]+", "-", f"frame-{spec.data.target}").strip("-_.")
    path = spec.data.source.path
    first = (
        path
        if isinstance(path, str)
        else (path[0] if isinstance(path, list) else (path or {}).get("train"))
    )
    base = Path(first if isinstance(first, str) else "model").name.split(".")[0]
    base = base if base != "model" else (spec.data.source.table or "model")
    # the one name rule (modelyard.names): starts with a letter or digit, no other characters
    return re.sub(r"[^A-Za-z0-9_.\-]+", "-", f"{base}-{spec.data.target}").strip("-_.") \
        or "model"


def check_resumable(run_id: str, spec: Spec) -> None:
    """A run whose rows were an in-memory DataFrame cannot be read again to resume it."""
    if spec.data.source.format == DATAFRAME:
        raise SpecError(
            f"run {run_id} trained on an in-memory DataFrame, which modelyard did not keep: it "
            "cannot be resumed",
            hint="train again from Python with the same frame, or save the frame to a file "
            "(frame.to_parquet) and train from that path")


def check_same_data(run_id: str, recorded: str | None, now: str) -> None:
    """A resumed run continues on the rows it started on: its checkpoint holds a model trained
    on them, and its record names their fingerprint."""
    if recorded and recorded != now:
        raise DataError(
            f"the data of run {run_id} changed since it started (fingerprint {recorded[:19]} "
            f"then, {now[:19]} now): resuming would continue its training on other rows",
            hint="put back the data the run started on, or train a new run on the new data "
            "(modelyard train SPEC)")


def check_before_run(spec: Spec, task: str) -> None:
    """Every name in the spec that needs the task to check (a learner and its hyperparameters,
    the metrics, the search's learners): a mistake here is a SpecError before any run exists,
    not a failed run after the data was read and a model trained."""
    if spec.model is not None:
        check_learner(spec.model.learner, spec.model.params, task)
    if spec.evaluation.metric:
        get_metric(spec.evaluation.metric, task)
    if spec.search is not None:
        get_metric(spec.search.metric_for(task), task)
        search_learners(spec.search.learners, task)
