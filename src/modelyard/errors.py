"""The one exception tree of modelyard.

Every error says what was wrong, what was expected, what was received and, in ``hint``, how to fix
it. Third-party exceptions are translated at the boundary with ``raise ... from err``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ModelyardError(Exception):
    """Base of every error modelyard raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class SpecError(ModelyardError):
    """The spec (YAML file or CLI flags) is invalid."""


class DataError(ModelyardError):
    """The data cannot be read or is unusable for the task."""


class SchemaMismatch(DataError):
    """Data does not match the schema a model or run expects."""


class TrainingError(ModelyardError):
    """Training failed (diverged, bad hyperparameters, nothing to learn)."""


class BudgetExceeded(ModelyardError):
    """A time or resource budget ran out."""


class RegistryError(ModelyardError):
    """The metadata or artifact store refused an operation."""


class NotFound(RegistryError):
    """A run, model, version, alias or artifact does not exist."""


class Conflict(RegistryError):
    """The operation conflicts with the current state of the store."""


class IntegrityError(RegistryError):
    """An artifact's bytes do not match its recorded hash."""


class ServingError(ModelyardError):
    """A prediction request cannot be served."""


class ExportError(ModelyardError):
    """A model cannot be written in another format (ONNX) faithfully."""


def closest(name: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The choices that look most like ``name`` (case-insensitive), best first."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.5)
    contains = [c for c in choices if name.lower() in c.lower() and lowered[c.lower()] not in hits]
    return [lowered[h] for h in hits] + contains[: max(0, n - len(hits))]


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """A hint sentence suggesting the closest valid choices, or listing them all."""
    choices = list(choices)
    near = closest(name, choices)
    listing = ", ".join(repr(c) for c in choices)
    if near and len(choices) <= 15:
        return "did you mean " + " or ".join(repr(c) for c in near) + f"? (valid: {listing})"
    if near:
        return "did you mean " + " or ".join(repr(c) for c in near) + "?"
    return "valid choices: " + listing
