"""``EnsembleBundle``: a weighted average of ``ModelBundle``s, served like one model.

Each member keeps its own fitted preprocessing; the ensemble checks the input against the schema
once, lets every member transform and predict, and averages probabilities (classification) or
values (regression) with the weights. It has ``ModelBundle``'s interface (``model.base``): its
``inputs`` are the checked rows themselves and its ``learner`` is the weighted average.

Saved layout: ``members/000/``, ``members/001/``, ... (each a saved ``ModelBundle``), then
``ensemble.json`` (weights, task, classes, threshold, schema) and ``manifest.json`` with the
SHA-256 of every file (``model.manifest``). Nothing is pickled. The format is registered in the
format table as 'modelyard.ensemble'.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modelyard.atomic import atomic_write_text
from modelyard.data.schema import Schema
from modelyard.errors import IntegrityError, NotFound, SpecError
from modelyard.formats import register_format
from modelyard.model.base import FittedModel, no_probabilities
from modelyard.model.bundle import ModelBundle
from modelyard.model.labels import Labels
from modelyard.model.manifest import verify_manifest, write_manifest

FORMAT_VERSION = 1
FORMAT_NAME = "modelyard.ensemble"
META_FILE = "ensemble.json"
MEMBERS_DIR = "members"


class WeightedAverage:
    """The ensemble's 'learner': predictions of the members averaged with the weights.

    Takes rows already checked against the schema (``EnsembleBundle.transform``). A member that
    never saw the last class(es) contributes probability 0 for them (``n_classes`` columns).
    """

    def __init__(self, members: list[ModelBundle], weights: list[float], task: str,
                 n_classes: int | None = None) -> None:
        self.members, self.weights, self.task = members, weights, task
        self.n_classes = n_classes

    def _each(self, X: pd.DataFrame, method: str) -> np.ndarray:
        total = None
        for member, weight in zip(self.members, self.weights, strict=True):
            out = np.asarray(getattr(member.learner, method)(member.preprocessor.transform(X)),
                             dtype=np.float64)
            if out.ndim == 2 and self.n_classes and out.shape[1] < self.n_classes:
                out = np.pad(out, ((0, 0), (0, self.n_classes - out.shape[1])))
            total = weight * out if total is None else total + weight * out
        return total

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        if self.task == "regression":
            raise no_probabilities()
        return self._each(X, "predict_proba")

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        if self.task == "regression":
            return self._each(X, "predict")
        return np.argmax(self.predict_proba(X), axis=1).astype(np.int64)

    def get_params(self, deep: bool = False) -> dict[str, Any]:
        """The members' learners and weights (what a run records as the model's parameters)."""
        return {"members": [m.learner_name for m in self.members],
                "weights": [float(w) for w in self.weights]}


@dataclass
class EnsembleBundle(FittedModel):
    """Member bundles and their weights (positive, summing to 1), for one schema and task."""

    schema: Schema
    task: str
    members: list[ModelBundle]
    weights: list[float]
    labels: Labels | None = None  # the original labels by class code (classification)
    threshold: float | None = None
    learner_name: str = "ensemble"

    def __post_init__(self) -> None:
        if not self.members or len(self.members) != len(self.weights):
            raise SpecError(
                f"an ensemble needs one weight per member; got {len(self.members)} members and "
                f"{len(self.weights)} weights", hint="pass members and weights of equal length",
            )
        weights = [float(w) for w in self.weights]
        if any(not math.isfinite(w) or w <= 0 for w in weights):
            raise SpecError(f"ensemble weights must be positive numbers; got {weights}",
                            hint="leave out members with weight 0")
        self.weights = [w / sum(weights) for w in weights]
        tasks = sorted({m.task for m in self.members} - {self.task})
        if tasks:
            raise SpecError(f"ensemble for a {self.task} task got members for {tasks}",
                            hint="combine models trained for the same task and target")

    @property
    def learner(self) -> WeightedAverage:
        return WeightedAverage(self.members, self.weights, self.task,
                               len(self.labels) if self.labels else None)

    def inputs(self, checked: pd.DataFrame) -> pd.DataFrame:
        """The checked rows themselves: each member applies its own preprocessing."""
        return checked

    def describe(self) -> list[dict[str, Any]]:
        """One entry per member: its learner and weight."""
        return [{"learner": m.learner_name, "weight": w}
                for m, w in zip(self.members, self.weights, strict=True)]

    # -- persistence ----------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        names = []
        for position, member in enumerate(self.members):
            name = f"{MEMBERS_DIR}/{position:03d}"
            member.save(directory / name)
            names.append(name)
        meta = {
            "format_version": FORMAT_VERSION,
            "format": FORMAT_NAME,
            "task": self.task,
            "members": names,
            "weights": self.weights,
            "classes": None if self.labels is None else self.labels.to_json(),
            "threshold": self.threshold,
            "schema": self.schema.to_dict(),
        }
        atomic_write_text(directory / META_FILE, json.dumps(meta, indent=2, allow_nan=False))
        write_manifest(directory)
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> EnsembleBundle:
        """Read an ensemble written by ``save``; every file's hash is verified first."""
        directory = Path(directory)
        if not (directory / META_FILE).is_file():
            raise NotFound(f"no saved ensemble in {directory}: {META_FILE} is missing",
                           hint="pass the directory EnsembleBundle.save wrote")
        verify_manifest(directory)
        meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        if meta.get("format_version", 0) > FORMAT_VERSION:
            raise IntegrityError(
                f"{directory} holds ensemble format {meta.get('format_version')}; this modelyard "
                f"reads up to {FORMAT_VERSION}", hint="upgrade modelyard to load this model")
        root = directory.resolve()
        paths = [(directory / name).resolve() for name in meta["members"]]
        if any(root not in path.parents for path in paths):
            raise IntegrityError(f"{directory / META_FILE} points outside its directory",
                                 hint="the artifact was edited; restore it or retrain")
        return cls(
            schema=Schema.from_dict(meta["schema"]),
            task=meta["task"],
            members=[ModelBundle.load(path) for path in paths],
            weights=list(meta["weights"]),
            labels=None if meta["classes"] is None else Labels(meta["classes"]),
            threshold=meta["threshold"],
        )


# Like ModelBundle's 'modelyard.bundle': the registry loads ensembles through this entry.
register_format(FORMAT_NAME, EnsembleBundle.load, replace=True)
