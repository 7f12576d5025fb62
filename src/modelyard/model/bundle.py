"""A trained model as one loadable thing: schema check + fitted preprocessing + learner + labels.

The bundle is what gets saved, registered and served; ``model.fit.fit_model`` is how one is made.
Its directory holds only data formats (JSON, the learner's native format, npz/safetensors) plus
``manifest.json`` with the SHA-256 of every file; ``load`` verifies every hash before reading
anything. The format is registered in the format table as 'modelyard.bundle'.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from modelyard.data.schema import Schema
from modelyard.errors import NotFound
from modelyard.features.preprocessor import Preprocessor
from modelyard.formats import register_format
from modelyard.learners.base import Learner, get_learner
from modelyard.model.base import FittedModel
from modelyard.model.labels import Labels
from modelyard.model.manifest import verify_manifest, write_manifest

FORMAT_NAME = "modelyard.bundle"
FORMAT_VERSION = 1
META_FILE = "bundle.json"


@dataclass
class ModelBundle(FittedModel):
    """Everything needed to turn raw input rows into predictions."""

    schema: Schema
    task: str
    learner_name: str
    preprocessor: Preprocessor
    learner: Learner
    labels: Labels | None = None  # the original labels by class code (classification)
    threshold: float | None = None  # decision threshold for binary tasks

    def inputs(self, checked: pd.DataFrame) -> pd.DataFrame:
        """The fitted preprocessing of rows already checked against the schema."""
        return self.preprocessor.transform(checked)

    # -- persistence --------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        self.preprocessor.save(directory / "preprocessor")
        self.learner.save(directory / "learner")
        meta = {
            "format_version": FORMAT_VERSION,
            "task": self.task,
            "learner": self.learner_name,
            "classes": None if self.labels is None else self.labels.to_json(),
            "threshold": self.threshold,
            "schema": self.schema.to_dict(),
        }
        (directory / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
        write_manifest(directory)
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> ModelBundle:
        directory = Path(directory)
        if not (directory / META_FILE).is_file():
            raise NotFound(
                f"no saved model in {directory}",
                hint="pass the directory `modelyard train` printed",
            )
        verify_manifest(directory)
        meta = json.loads((directory / META_FILE).read_text(encoding="utf-8"))
        learner_cls = get_learner(meta["learner"])
        return cls(
            schema=Schema.from_dict(meta["schema"]),
            task=meta["task"],
            learner_name=meta["learner"],
            preprocessor=Preprocessor.load(directory / "preprocessor"),
            learner=learner_cls.load(directory / "learner"),
            labels=None if meta["classes"] is None else Labels(meta["classes"]),
            threshold=meta["threshold"],
        )


# The registry loads a version through this entry of the format table, without importing models.
register_format(FORMAT_NAME, ModelBundle.load, replace=True)
