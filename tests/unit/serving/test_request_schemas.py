"""Request schemas generated from a training schema: types by column kind, extra='forbid', NaN and
infinity refused, every problem a BadRequest or InvalidInput naming the field."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelyard.data.schema import Column, Schema
from modelyard.serving.errors import BadRequest, InvalidInput
from modelyard.serving.schemas import MAX_CATEGORY_CHARS, RequestSchema

SCHEMA = Schema(
    columns=(
        Column("monthly charges", "numeric", "float64"),
        Column("senior", "boolean", "boolean"),
        Column("plan.type", "categorical", "str", categories=("basic", "pro")),
        Column("signup", "datetime", "datetime64[ns]", format="%Y-%m-%d"),
        Column("review", "text", "str"),
        Column("class", "categorical", "str"),
    ),
    target="churn",
    target_kind="boolean",
)
GOOD = {"monthly charges": 20.5, "senior": True, "plan.type": "pro", "signup": "2024-01-31",
        "review": "works well enough for me", "class": "a"}  # fmt: skip


@pytest.fixture(scope="module")
def request_schema() -> RequestSchema:
    return RequestSchema.for_model("churn-model", 3, SCHEMA)


def parse(request_schema: RequestSchema, value: object) -> pd.DataFrame:
    return request_schema.parse(json.dumps(value, allow_nan=True).encode())


def problem(request_schema: RequestSchema, value: object) -> InvalidInput:
    with pytest.raises(InvalidInput) as err:
        parse(request_schema, value)
    return err.value


def test_one_record_or_a_list_becomes_a_typed_frame(request_schema):
    one = parse(request_schema, GOOD)
    assert list(one.columns) == SCHEMA.names and len(one) == 1
    assert one["monthly charges"].dtype == "float64" and one["senior"].dtype == "boolean"
    many = parse(request_schema, [GOOD, {**GOOD, "monthly charges": None, "senior": "no"}])
    assert len(many) == 2 and math.isnan(many["monthly charges"][1])
    assert many["senior"].tolist() == [True, False]
    assert request_schema.record.__name__ == "churn_model_v3_Record"


@pytest.mark.parametrize("token,expected", [("yes", True), ("N", False), (1, True), (0, False),
                                            ("true", True), (False, False)])  # fmt: skip
def test_boolean_fields_take_the_usual_spellings(request_schema, token, expected):
    assert parse(request_schema, {**GOOD, "senior": token})["senior"][0] == expected


@pytest.mark.parametrize(
    "field,value,needle",
    [
        ("monthly charges", "20.5", "valid number"),
        ("monthly charges", True, "valid number"),
        ("monthly charges", math.nan, "finite"),
        ("monthly charges", math.inf, "finite"),
        ("monthly charges", -math.inf, "finite"),
        ("senior", "maybe", "boolean"),
        ("plan.type", 3, "valid string"),
        ("plan.type", "x" * (MAX_CATEGORY_CHARS + 1), "at most"),
        ("review", {"nested": [1]}, "valid string"),
        ("signup", ["2024-01-31"], "valid string"),
    ],
)
def test_wrong_values_name_their_field(request_schema, field, value, needle):
    err = problem(request_schema, {**GOOD, field: value})
    assert err.details[0]["field"] == field
    assert needle in err.message and field in err.message


def test_missing_and_unknown_fields_are_named(request_schema):
    err = problem(request_schema, {k: v for k, v in GOOD.items() if k != "class"} | {"extra": 1})
    fields = {d["field"]: d["type"] for d in err.details}
    assert fields == {"class": "missing", "extra": "extra_forbidden"}
    assert "monthly charges" in err.hint  # lists the expected fields


def test_list_errors_name_the_record(request_schema):
    err = problem(request_schema, [GOOD, GOOD, {**GOOD, "senior": "maybe"}])
    assert err.details[0]["field"] == "[2].senior" and err.details[0]["record"] == 2


@pytest.mark.parametrize("body", [b"", b"  ", b"{", b"[1, 2", b"\xff\xfe", b"[" * 5000,
                                  b'{"a": 1}}', b"nul"])  # fmt: skip
def test_bodies_that_are_not_json_are_bad_requests(request_schema, body):
    with pytest.raises(BadRequest):
        request_schema.parse(body)


@pytest.mark.parametrize("value", [[], 3, "text", None, [3], [[GOOD]]])
def test_json_of_the_wrong_shape_is_invalid_input(request_schema, value):
    err = problem(request_schema, value)
    assert err.message


def test_json_schema_types_fields_by_kind(request_schema):
    schema = request_schema.json_schema()
    props = schema["properties"]
    assert schema["additionalProperties"] is False and set(schema["required"]) == set(SCHEMA.names)
    assert {"type": "number"} in props["monthly charges"]["anyOf"]
    assert {"type": "boolean"} in props["senior"]["anyOf"]
    assert props["plan.type"]["examples"] == ["basic", "pro"]
    assert "%Y-%m-%d" in props["signup"]["description"]


record_values = st.fixed_dictionaries({
    "monthly charges": st.none() | st.floats(allow_nan=False, allow_infinity=False),
    "senior": st.none() | st.booleans(),
    "plan.type": st.none() | st.text(max_size=50),
    "signup": st.none() | st.text(max_size=20),
    "review": st.none() | st.text(max_size=200),
    "class": st.none() | st.text(max_size=20),
})  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(records=st.lists(record_values, min_size=1, max_size=5))
def test_every_well_typed_record_parses(request_schema, records):
    frame = parse(request_schema, records)
    assert len(frame) == len(records)
    for row, record in zip(frame.to_dict(orient="records"), records, strict=True):
        for name, value in record.items():
            got = row[name]
            assert (value is None and pd.isna(got)) or got == value


HELD = Schema(
    columns=(
        Column("partner", "boolean", "boolean", spellings=("No", "Yes")),
        Column("senior", "boolean", "boolean", spellings=(0, 1)),
        Column("flag", "boolean", "boolean", spellings=(False, True)),
    )
)


@pytest.mark.parametrize(
    "field,value,expected",
    [("partner", "Yes", True), ("partner", "No", False), ("partner", True, True),
     ("partner", None, None), ("senior", 1, True), ("senior", 0.0, False), ("senior", False, False),
     ("flag", True, True), ("flag", False, False)],
)  # fmt: skip
def test_boolean_fields_take_what_the_training_rows_held(field, value, expected):
    schema = RequestSchema.for_model("churn", 1, HELD)
    record = {"partner": "Yes", "senior": 0, "flag": True, field: value}
    got = schema.parse(json.dumps(record).encode())[field][0]
    assert (got is pd.NA) if expected is None else bool(got) is expected


@pytest.mark.parametrize(
    "field,value,listed",
    [("partner", "yes", '"No", "Yes"'), ("partner", " Yes", '"No", "Yes"'),
     ("partner", 1, '"No", "Yes"'), ("partner", "true", '"No", "Yes"'), ("senior", "1", "0, 1"),
     ("senior", 2, "0, 1"), ("senior", "no", "0, 1"), ("flag", 1, "true or false; received"),
     ("flag", "True", "true or false; received")],
)  # fmt: skip
def test_other_spellings_are_refused_with_the_accepted_values(field, value, listed):
    schema = RequestSchema.for_model("churn", 1, HELD)
    record = {"partner": "Yes", "senior": 0, "flag": True, field: value}
    with pytest.raises(InvalidInput) as err:
        schema.parse(json.dumps(record).encode())
    assert err.value.details[0]["field"] == field
    assert "expected a boolean: true or false" in err.value.message and listed in err.value.message
    assert "true or false" in err.value.hint


def test_the_boolean_json_schema_lists_the_accepted_values():
    properties = RequestSchema.for_model("churn", 1, HELD).json_schema()["properties"]
    assert properties["partner"]["anyOf"] == [{"type": "boolean"}, {"enum": ["No", "Yes"]},
                                              {"type": "null"}]  # fmt: skip
    assert {"enum": [0, 1]} in properties["senior"]["anyOf"]
    assert properties["flag"]["anyOf"] == [{"type": "boolean"}, {"type": "null"}]
    assert '"No", "Yes"' in properties["partner"]["description"]


IDS = Schema(
    columns=(Column("tenure", "numeric", "float64"),),
    dropped={"customerID": "identifier-like: 300 unique values in 300 rows",
             "account no": "identifier (set by hand)", "notes": "dropped by the spec",
             "blank": "empty: no value in 300 rows"},
)


def test_identifier_columns_are_optional_text_fields_and_other_dropped_columns_unknown():
    schema = RequestSchema.for_model("churn", 1, IDS)
    assert schema.names == ["tenure"] and schema.identifiers == ("customerID", "account no")
    frame = schema.parse(json.dumps([
        {"tenure": 3, "customerID": "7590-VHVEG", "account no": 42},
        {"tenure": 4, "account no": 42.0},
        {"tenure": 5, "customerID": None, "account no": 0.5},
    ]).encode())
    assert list(frame.columns) == ["tenure", "customerID", "account no"]
    assert frame["customerID"].tolist() == ["7590-VHVEG", None, None]
    assert frame["account no"].tolist() == ["42", "42", "0.5"]  # as a CSV of labels reads back
    bare = schema.parse(b'{"tenure": 1}')
    assert list(bare.columns) == ["tenure"]  # no identifier sent: the log stays as it was
    err = problem(schema, {"tenure": 1, "notes": "x", "blank": None})
    assert {d["field"]: d["type"] for d in err.details} == {"notes": "extra_forbidden",
                                                             "blank": "extra_forbidden"}
    assert "identifier(s) customerID, account no" in err.hint
    assert set(schema.json_schema()["required"]) == {"tenure"}


@pytest.mark.parametrize("value", [True, [1], {"a": 1}, "x" * (MAX_CATEGORY_CHARS + 1)])
def test_an_identifier_that_is_not_text_or_a_number_is_refused(value):
    schema = RequestSchema.for_model("churn", 1, IDS)
    err = problem(schema, {"tenure": 1, "customerID": value})
    assert err.details[0]["field"] == "customerID" and err.details[0]["type"] == "identifier_type"
    assert "expected an identifier" in err.message


def test_an_infinite_identifier_is_refused():
    schema = RequestSchema.for_model("churn", 1, IDS)
    with pytest.raises(InvalidInput, match="expected an identifier"):
        schema.parse(b'{"tenure": 1, "customerID": 1e400}')
