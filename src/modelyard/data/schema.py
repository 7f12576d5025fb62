"""The schema of a table: one ``Column`` per column with its inferred (or hand-set) kind.

The schema is plain data: it serialises to JSON, is kept with every run, and is what a served model
validates its requests against.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["numeric", "categorical", "boolean", "datetime", "text", "identifier"]
KINDS: tuple[str, ...] = ("numeric", "categorical", "boolean", "datetime", "text", "identifier")


@dataclass(frozen=True)
class Column:
    """One column: its name, kind, storage dtype and a few facts seen when it was inferred."""

    name: str
    kind: Kind
    dtype: str
    n_missing: int = 0
    n_unique: int = 0
    categories: tuple[str, ...] | None = None  # for low-cardinality categoricals, sorted
    note: str | None = None  # why it was typed or dropped this way
    format: str | None = None  # how text was parsed (strftime format for datetimes)
    # for boolean columns: the distinct values the training rows held for False and True, as read
    # (False/True for a bool column, 0/1 for numbers, the text as written, e.g. 'No'/'Yes');
    # None for other kinds and for schemas saved before it was recorded
    spellings: tuple[bool | int | str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["categories"] = list(self.categories) if self.categories is not None else None
        if self.spellings is None:
            del out["spellings"]  # other kinds' schema JSON stays as it was
        else:
            out["spellings"] = list(self.spellings)
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Column:
        cats = raw.get("categories")
        return cls(
            name=raw["name"],
            kind=raw["kind"],
            dtype=raw["dtype"],
            n_missing=int(raw.get("n_missing", 0)),
            n_unique=int(raw.get("n_unique", 0)),
            categories=tuple(cats) if cats is not None else None,
            note=raw.get("note"),
            format=raw.get("format"),
            spellings=tuple(raw["spellings"]) if raw.get("spellings") is not None else None,
        )


@dataclass(frozen=True)
class Schema:
    """Feature columns, the target, and the columns left out (with the reason for each)."""

    columns: tuple[Column, ...]
    target: str | None = None
    target_kind: Kind | None = None
    n_rows: int = 0
    dropped: dict[str, str] = field(default_factory=dict)  # column -> reason
    notes: tuple[str, ...] = ()  # things a person should know (stray label punctuation, ...)

    @property
    def names(self) -> list[str]:
        """Names of the feature columns (target and dropped columns excluded)."""
        return [c.name for c in self.columns]

    @property
    def identifiers(self) -> list[str]:
        """Columns left out of training as identifiers (inferred, or typed 'identifier' by hand):
        never model inputs, but a record may carry them so its prediction can be found later."""
        return [name for name, why in self.dropped.items() if why.startswith("identifier")]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    def of_kind(self, kind: str) -> list[str]:
        return [c.name for c in self.columns if c.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        return {
            "columns": [c.to_dict() for c in self.columns],
            "target": self.target,
            "target_kind": self.target_kind,
            "n_rows": self.n_rows,
            "dropped": dict(self.dropped),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Schema:
        return cls(
            columns=tuple(Column.from_dict(c) for c in raw["columns"]),
            target=raw.get("target"),
            target_kind=raw.get("target_kind"),
            n_rows=int(raw.get("n_rows", 0)),
            dropped=dict(raw.get("dropped", {})),
            notes=tuple(raw.get("notes", ())),
        )
