"""A boolean column's schema records the values the training rows held for False and True, as
read (what a served model then accepts), and they survive the schema's JSON round trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from modelyard.data.infer import infer_schema
from modelyard.data.schema import Schema


def test_the_committed_slices_record_their_spellings(data_dir):
    _, telco = infer_schema(pd.read_csv(data_dir / "telco_churn.csv"), target="Churn")
    assert telco.column("Partner").spellings == ("No", "Yes")
    assert telco.column("SeniorCitizen").spellings == (0, 1)
    assert all(type(v) is int for v in telco.column("SeniorCitizen").spellings)
    assert telco.column("Contract").spellings is None  # categorical: no spellings
    assert "spellings" not in telco.column("Contract").to_dict()
    _, houses = infer_schema(pd.read_csv(data_dir / "house_prices_ames.csv"), target="SalePrice")
    assert houses.column("CentralAir").spellings == ("N", "Y")


def test_bools_numbers_and_hand_typed_text_keep_what_was_held():
    n = 40
    frame = pd.DataFrame({
        "flag": [True, False] * (n // 2),
        "bits": [1.0, 0.0, np.nan, 1.0] * (n // 4),
        "answer": [" yes", "Yes", "NO", None] * (n // 4),
        "only_true": ["y"] * n,
    })  # fmt: skip
    _, schema = infer_schema(frame, types={"answer": "boolean", "only_true": "boolean"})
    assert schema.column("flag").spellings == (False, True)
    assert schema.column("bits").spellings == (0, 1)
    assert schema.column("answer").spellings == ("NO", "Yes", "yes")  # False first, stripped
    assert schema.column("only_true").spellings == ("y",)
    again = Schema.from_dict(json.loads(json.dumps(schema.to_dict())))
    assert again == schema
    assert [type(v) for v in again.column("flag").spellings] == [bool, bool]
