"""Request schemas generated per model version from its training schema.

``RequestSchema.for_model(name, version, schema)`` builds a pydantic model with one field per
feature column (``extra='forbid'``), typed by the column's kind:

========================  ================================================================
kind                      accepted JSON value (``null`` always means "missing")
========================  ================================================================
numeric                   a finite number; true/false, strings, NaN and infinity (and numbers
                          beyond a double, such as 1e400) are refused with the finite-number
                          rule of ``serving.inputs``, the one ``modelyard predict`` applies
boolean                   true/false, or exactly a value the training rows held (``Column.
                          spellings``: "Yes"/"No", 0/1, ...); older schemas without spellings:
                          true/false, 0/1 or "yes"/"no", "true"/"false", "y"/"n", "t"/"f"
categorical               a string of at most ``MAX_CATEGORY_CHARS`` characters
datetime                  a string in the training format (checked when the row is read)
text                      a string of at most ``MAX_TEXT_CHARS`` characters
========================  ================================================================

A record may also carry the columns training left out as identifiers (``Schema.identifiers``:
``customerID``), each optional: text or a number, kept as text. They never reach the model; the
prediction log keeps them as ``input.<column>`` so feedback keyed by them finds the prediction.
Any other field is unknown and refused.

``parse(body)`` validates raw JSON bytes (one record as an object, or a non-empty array of them)
in one pass and returns a DataFrame with one typed column per feature, then one text column per
identifier some record sent (None where one left it out); every problem becomes a
``BadRequest`` (not JSON) or ``InvalidInput`` naming the fields.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Annotated, Any

import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    create_model,
)
from pydantic_core import PydanticCustomError

from modelyard.data.schema import Column, Schema
from modelyard.features.boolean import FALSE_TOKENS, TRUE_TOKENS, to_bool_float
from modelyard.serving.errors import BadRequest, InvalidInput
from modelyard.serving.inputs import TOO_LARGE, finite_number, not_finite

MAX_CATEGORY_CHARS = 1_000  # a category label longer than this is a client bug
MAX_TEXT_CHARS = 100_000  # free text: about 15,000 words
MAX_DATETIME_CHARS = 64
MAX_DETAILS = 20  # field errors listed in one response
SHAPE_HINT = "send one record as a JSON object, or a non-empty JSON array of records"

NUMBER_SCHEMA = {"anyOf": [{"type": "number"}, {"type": "null"}]}


def _number(value: Any) -> float | None:
    """A numeric field: a JSON number that is finite, or null.

    JSON's NaN and Infinity literals and numbers beyond a double (1e400, read as infinity) fail
    with ``serving.inputs.not_finite``, the sentence a file's infinite cells get; text and
    true/false fail as not numbers at all.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError(
            "float_type", "expected a valid number; received {received}",
            {"received": json.dumps(value, default=str)[:60]},
        )  # fmt: skip
    number = finite_number(value)
    if number is None:
        received = json.dumps(value if isinstance(value, float) else float("inf"))
        raise PydanticCustomError("finite_number", not_finite(received))
    return number


_NUMBER = Annotated[Any, PlainValidator(_number), WithJsonSchema(NUMBER_SCHEMA)]
IDENTIFIER_SCHEMA = {"anyOf": [{"type": "string", "maxLength": MAX_CATEGORY_CHARS},
                               {"type": "number"}, {"type": "null"}]}


def _identifier(value: Any) -> str | None:
    """An identifier field as text: a string as sent, a whole number without '.0' (42 and 42.0
    both log as '42', as a CSV of labels reads them back), or null."""
    if value is None:
        return None
    if isinstance(value, str) and len(value) <= MAX_CATEGORY_CHARS:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = finite_number(value)
        if number is not None:
            return str(int(value)) if float(value).is_integer() else repr(number)
    raise PydanticCustomError(
        "identifier_type", "expected an identifier: text of at most {limit} characters, a "
        "finite number, or null; received {received}",
        {"limit": MAX_CATEGORY_CHARS, "received": json.dumps(value, default=str)[:60]},
    )  # fmt: skip


_IDENTIFIER = Annotated[Any, PlainValidator(_identifier), WithJsonSchema(IDENTIFIER_SCHEMA)]


def _field(column: Column) -> tuple[Any, Any]:
    """(annotation, FieldInfo) for one feature column, aliased to the column's own name."""
    doc = f"{column.kind} column '{column.name}'"
    if column.kind == "numeric":
        return _NUMBER, Field(alias=column.name, description=doc)
    if column.kind == "boolean":
        boolean = BooleanField(column)
        annotated = Annotated[Any, PlainValidator(boolean), WithJsonSchema(boolean.json_schema())]
        return annotated, Field(alias=column.name, description=f"{doc}; {boolean.described}")
    if column.kind == "datetime":
        fmt = f" in format {column.format!r}" if column.format else ""
        return str | None, Field(
            alias=column.name, max_length=MAX_DATETIME_CHARS, description=doc + fmt
        )
    if column.kind == "text":
        return str | None, Field(alias=column.name, max_length=MAX_TEXT_CHARS, description=doc)
    extra: dict[str, Any] = {}
    if column.categories:
        doc += "; training values: " + ", ".join(column.categories)
        extra["examples"] = list(column.categories[:5])
    return str | None, Field(
        alias=column.name, max_length=MAX_CATEGORY_CHARS, description=doc, **extra
    )


class BooleanField:
    """Validates one boolean field: JSON true/false, or exactly a value the training rows held.

    With ``column.spellings`` ('No'/'Yes', 0/1, False/True) those values and JSON true/false are
    accepted and nothing else: 'yes', 'Y' or 1 are refused where the data held 'Yes'/'No'. A schema
    saved before spellings were recorded accepts what the model's boolean encoder reads
    (``features.boolean``): true/false, 0/1 and the usual words as text, case-insensitive.
    """

    def __init__(self, column: Column) -> None:
        self.case_blind = column.spellings is None
        if column.spellings is None:
            self.text = {**dict.fromkeys(TRUE_TOKENS, True), **dict.fromkeys(FALSE_TOKENS, False)}
            self.numbers = {0: False, 1: True}
            self.described = "true or false; also 0/1, or yes/no, true/false, y/n, t/f as text"
        else:
            truth = to_bool_float(pd.Series(list(column.spellings), dtype=object), column.name)
            pairs = [(s, bool(t)) for s, t in zip(column.spellings, truth, strict=True)]
            self.text = {s: t for s, t in pairs if isinstance(s, str)}
            self.numbers = {s: t for s, t in pairs if not isinstance(s, str | bool)}
            held = ", ".join(json.dumps(s) for s in (*self.text, *self.numbers))
            self.described = "true or false" + (f", or as the training data held it: {held}"
                                                if held else "")  # fmt: skip

    def __call__(self, value: Any) -> bool | None:
        """The value as True/False (None stays None), or a ``boolean_value`` error."""
        if value is None or isinstance(value, bool):
            return value
        found = None
        if isinstance(value, str):
            found = self.text.get(value.strip().lower() if self.case_blind else value)
        elif isinstance(value, int | float):
            found = self.numbers.get(value)  # 1.0 finds 1: JSON does not tell them apart
        if found is None:
            raise PydanticCustomError(
                "boolean_value", "expected a boolean: {accepted}; received {received}",
                {"accepted": self.described, "received": json.dumps(value, default=str)[:60]},
            )  # fmt: skip
        return found

    def json_schema(self) -> dict[str, Any]:
        """The field's JSON schema: a boolean, one of the accepted values, or null."""
        listed = sorted(self.text) if self.case_blind else list(self.text)
        listed += list(self.numbers)
        options: list[dict[str, Any]] = [{"type": "boolean"}]
        if listed:
            options.append({"enum": listed})
        return {"anyOf": [*options, {"type": "null"}]}


def _component_name(name: str, version: int) -> str:
    """An OpenAPI component name for a model version's record: letters, digits and '_'."""
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{name}_v{version}_Record")


@dataclass(frozen=True)
class RequestSchema:
    """The generated request model of one model version, with its validators."""

    record: type[BaseModel]
    columns: tuple[Column, ...]
    one: TypeAdapter
    many: TypeAdapter
    identifiers: tuple[str, ...] = ()  # optional fields logged, never given to the model

    @classmethod
    def for_model(cls, name: str, version: int, schema: Schema) -> RequestSchema:
        columns = tuple(c for c in schema.columns if c.kind != "identifier")
        identifiers = tuple(schema.identifiers)
        # field names are positional (c0, c1, ...): column names need not be Python identifiers
        fields: dict[str, Any] = {f"c{i}": _field(col) for i, col in enumerate(columns)}
        for i, column in enumerate(identifiers):
            fields[f"k{i}"] = (_IDENTIFIER, Field(
                None, alias=column, description=f"identifier column '{column}': not a model "
                "input; logged with the prediction so feedback can be keyed by it"))
        record = create_model(  # type: ignore[call-overload]
            _component_name(name, version),
            __config__=ConfigDict(extra="forbid", allow_inf_nan=False, populate_by_name=False),
            __doc__=f"One input row of model '{name}' version {version}.",
            **fields,
        )
        many = TypeAdapter(Annotated[list[record], Field(min_length=1)])  # type: ignore[valid-type]
        return cls(record, columns, TypeAdapter(record), many, identifiers)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def json_schema(self) -> dict[str, Any]:
        """The JSON schema of one record (what OpenAPI and GET /v1/models/{name} show)."""
        return self.record.model_json_schema(by_alias=True)

    def parse(self, body: bytes) -> pd.DataFrame:
        """Validate a request body; one typed column per feature, one row per record."""
        return self.to_frame(self.validate(body))

    def validate(self, body: bytes) -> list[BaseModel]:
        """The validated records of a request body (one for an object, in a list)."""
        start = body.lstrip()[:1]
        if not start:
            raise BadRequest("the request body is empty", hint=SHAPE_HINT)
        listed = start == b"["
        adapter = self.many if listed else self.one
        try:
            parsed = adapter.validate_json(body)
        except ValidationError as err:
            raise self._translate(err, listed, start) from None
        except (ValueError, RecursionError) as err:  # jiter limits, surrogate junk, ...
            raise BadRequest(
                f"the request body is not valid JSON: {err}", hint=SHAPE_HINT
            ) from None
        return parsed if listed else [parsed]

    def features(self, record: BaseModel) -> dict[str, Any]:
        """One validated record's feature values by column name, in schema order."""
        return {col.name: getattr(record, f"c{i}") for i, col in enumerate(self.columns)}

    def log_columns(self, record: BaseModel) -> dict[str, list[Any]]:
        """One validated record as the prediction log keeps it (column -> [value]): the values
        ``to_frame`` gives (a missing number as NaN), then the identifiers it sent."""
        data: dict[str, list[Any]] = {}
        for i, col in enumerate(self.columns):
            value = getattr(record, f"c{i}")
            data[col.name] = [math.nan if value is None and col.kind == "numeric" else value]
        for i, name in enumerate(self.identifiers):
            value = getattr(record, f"k{i}")
            if value is not None:
                data[name] = [value]
        return data

    def to_frame(self, records: list[BaseModel]) -> pd.DataFrame:
        """Validated records as a DataFrame in schema order, with kind-appropriate dtypes, then
        the identifier columns as text."""
        data: dict[str, pd.Series] = {}
        for i, col in enumerate(self.columns):
            values = [getattr(r, f"c{i}") for r in records]
            dtype = {"numeric": "float64", "boolean": "boolean"}.get(col.kind, "object")
            data[col.name] = pd.Series(values, dtype=dtype)
        for i, name in enumerate(self.identifiers):
            values = [getattr(r, f"k{i}") for r in records]
            if any(v is not None for v in values):  # a log without ids stays as it was
                data[name] = pd.Series(values, dtype=object)
        return pd.DataFrame(data, index=pd.RangeIndex(len(records)))

    def _translate(self, err: ValidationError, listed: bool, start: bytes) -> Exception:
        errors = err.errors(include_url=False, include_input=False)
        invalid_json = [e for e in errors if e["type"] == "json_invalid"]
        if invalid_json:
            return BadRequest(f"the request body is not valid JSON: {invalid_json[0]['msg']}",
                              hint=SHAPE_HINT)  # fmt: skip
        if not listed and start != b"{":
            return InvalidInput(
                "the request body is JSON but neither an object nor an array", hint=SHAPE_HINT
            )
        if listed and any(e["type"] == "too_short" and not e["loc"] for e in errors):
            return InvalidInput("the request holds an empty list of records", hint=SHAPE_HINT)
        details = [self._detail(e, listed) for e in errors[:MAX_DETAILS]]
        shown = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        return InvalidInput(
            f"{len(errors)} problem(s) in the request: {shown}{more}",
            hint=self._hint(errors),
            details=details,
        )

    def _detail(self, error: dict[str, Any], listed: bool) -> dict[str, Any]:
        loc = list(error["loc"])
        row = loc.pop(0) if listed and loc and isinstance(loc[0], int) else None
        field = ".".join(str(p) for p in loc) or "(record)"
        message = {
            "missing": "required field is missing (send null for a missing value)",
            "extra_forbidden": "unknown field: this model has no such input",
            "model_type": "expected a JSON object with the model's fields",
        }.get(error["type"], error["msg"])
        detail: dict[str, Any] = {"field": field, "message": message, "type": error["type"]}
        if row is not None:
            detail["record"] = row
            detail["field"] = f"[{row}].{field}"
        return detail

    def _hint(self, errors: list[dict[str, Any]]) -> str:
        kinds = {e["type"] for e in errors}
        if kinds & {"missing", "extra_forbidden"}:
            listing = ", ".join(self.names[:40]) + (" ..." if len(self.names) > 40 else "")
            also = (f"; and, if you like, the identifier(s) {', '.join(self.identifiers)}"
                    if self.identifiers else "")
            return f"send exactly these fields (null for a missing value): {listing}{also}"
        if "finite_number" in kinds:
            return f"send finite numbers, or null for a missing value ({TOO_LARGE})"
        if "boolean_value" in kinds:
            return "send true or false, or a value the field's description lists (see "
            "GET /v1/models/{name}, 'columns'); null for a missing value"
        return "see GET /v1/models/{name} or /docs for each field's type"
