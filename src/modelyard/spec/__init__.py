"""The declarative spec: pydantic models, loading and validation."""

from modelyard.spec.load import load_spec, read_spec_file, validate_spec
from modelyard.spec.models import (
    COLUMN_KINDS,
    FORMATS,
    SPLIT_METHODS,
    TASKS,
    CostSpec,
    DataSpec,
    EvaluationSpec,
    ModelSpec,
    ReadOptions,
    SourceSpec,
    Spec,
    SplitSpec,
)
from modelyard.spec.search import SearchSpec

__all__ = [
    "COLUMN_KINDS",
    "FORMATS",
    "SPLIT_METHODS",
    "TASKS",
    "CostSpec",
    "DataSpec",
    "EvaluationSpec",
    "ModelSpec",
    "ReadOptions",
    "SearchSpec",
    "SourceSpec",
    "Spec",
    "SplitSpec",
    "load_spec",
    "read_spec_file",
    "validate_spec",
]
