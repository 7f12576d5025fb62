"""A trained model as one loadable thing: schema check + fitted preprocessing + learner + labels.

The bundle is what gets saved, registered and served. Its directory holds only data formats
(JSON, the learner's native format, npz/safetensors) plus ``manifest.json`` with the SHA-256 of
every file; ``load`` verifies every hash before reading anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modelyard.atomic import atomic_write_text
from modelyard.data.infer import check_schema
from modelyard.data.schema import Schema
from modelyard.errors import IntegrityError, NotFound
from modelyard.evaluation.threshold import apply_threshold
from modelyard.features.preprocessor import Preprocessor
from modelyard.hashing import sha256_file
from modelyard.learners.base import Learner, get_learner
from modelyard.registry.formats import register_format

FORMAT_VERSION = 1


@dataclass
class ModelBundle:
    """Everything needed to turn raw input rows into predictions."""

    schema: Schema
    task: str
    learner_name: str
    preprocessor: Preprocessor
    learner: Learner
    classes: list[Any] | None = None  # original labels, index = class code
    threshold: float | None = None  # decision threshold for binary tasks

    # -- prediction ---------------------------------------------------------------------------
    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Raw rows -> the learner's input (schema check, then the fitted preprocessing)."""
        return self.preprocessor.transform(check_schema(frame, self.schema))

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        if self.task == "regression":
            raise TypeError("predict_proba is for classification models; use predict")
        return np.asarray(self.learner.predict_proba(self.transform(frame)))

    def predict_codes(self, X: pd.DataFrame, proba: np.ndarray | None = None) -> np.ndarray:
        """Class codes (or values) from already transformed input, applying the threshold."""
        if self.task == "binary" and self.threshold is not None:
            proba = proba if proba is not None else np.asarray(self.learner.predict_proba(X))
            return apply_threshold(proba[:, 1], self.threshold)
        return np.asarray(self.learner.predict(X))

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predictions in the original label space."""
        codes = self.predict_codes(self.transform(frame))
        return self.decode(codes)

    def decode(self, codes: np.ndarray) -> np.ndarray:
        if self.classes is None:
            return codes
        labels = np.asarray(self.classes, dtype=object)
        return labels[np.asarray(codes, dtype=int)]

    def predict_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The input rows with a ``prediction`` column and, for classifiers, ``proba_<label>``."""
        X = self.transform(frame)
        out = frame.copy()
        if self.task == "regression":
            out["prediction"] = np.asarray(self.learner.predict(X), dtype=float)
            return out
        proba = np.asarray(self.learner.predict_proba(X))
        out["prediction"] = self.decode(self.predict_codes(X, proba))
        for code, label in enumerate(self.classes or []):
            out[f"proba_{label}"] = proba[:, code]
        return out

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
            "classes": plain_labels(self.classes),
            "threshold": self.threshold,
            "schema": self.schema.to_dict(),
        }
        (directory / "bundle.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        write_manifest(directory)
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> ModelBundle:
        directory = Path(directory)
        if not (directory / "bundle.json").is_file():
            raise NotFound(
                f"no saved model in {directory}",
                hint="pass the directory `modelyard train` printed",
            )
        verify_manifest(directory)
        meta = json.loads((directory / "bundle.json").read_text(encoding="utf-8"))
        learner_cls = get_learner(meta["learner"])
        return cls(
            schema=Schema.from_dict(meta["schema"]),
            task=meta["task"],
            learner_name=meta["learner"],
            preprocessor=Preprocessor.load(directory / "preprocessor"),
            learner=learner_cls.load(directory / "learner"),
            classes=meta["classes"],
            threshold=meta["threshold"],
        )


def plain_labels(values: list[Any] | None) -> list[Any] | None:
    """Class labels as plain Python values for JSON (numpy scalars become ints, floats, ...)."""
    if values is None:
        return None
    return [v.item() if isinstance(v, np.generic) else v for v in values]



def write_manifest(directory: Path) -> dict[str, str]:
    """Record the SHA-256 of every file under ``directory`` in ``manifest.json`` (atomically)."""
    files = {
        str(p.relative_to(directory)): sha256_file(p)
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }
    atomic_write_text(directory / "manifest.json", json.dumps({"sha256": files}, indent=2))
    return files


def verify_manifest(directory: Path) -> None:
    """Raise IntegrityError when any file differs from, or is missing from, the manifest."""
    manifest = directory / "manifest.json"
    if not manifest.is_file():
        raise IntegrityError(
            f"{directory} has no manifest.json; its files cannot be verified",
            hint="re-save the model with modelyard; never edit a saved model by hand",
        )
    recorded = json.loads(manifest.read_text(encoding="utf-8"))["sha256"]
    for name, expected in recorded.items():
        path = directory / name
        if not path.is_file():
            raise IntegrityError(f"model file {path} is missing", hint="restore it or retrain")
        actual = sha256_file(path)
        if actual != expected:
            raise IntegrityError(
                f"model file {path} was changed: sha256 {actual[:12]}... "
                f"but {expected[:12]}... was recorded",
                hint="the artifact is corrupt or was edited; restore it or retrain the model",
            )


# Learners register their save/load format with the registry's format table (DESIGN.md): the
# registry loads a version through this entry without importing learners itself.
register_format("modelyard.bundle", ModelBundle.load, replace=True)
