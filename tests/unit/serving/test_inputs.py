"""The shared input rules (``serving.inputs``): unseen categories, near matches, policies,
how rows are named, and the finite-number check on frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelyard.data.infer import check_schema, infer_schema
from modelyard.errors import SchemaMismatch
from modelyard.features.preprocessor import Preprocessor
from modelyard.serving.inputs import (
    DEFAULT_UNSEEN,
    Origin,
    UnseenCategories,
    check_finite,
    find_unseen,
    policy_of,
)


@pytest.fixture(scope="module")
def telco(data_dir):
    frame, schema = infer_schema(pd.read_csv(data_dir / "telco_churn.csv"), target="Churn")
    return frame.drop(columns=["Churn"]), schema


def test_unseen_values_are_the_encoders_unseen_rows_with_near_matches(telco):
    frame, schema = telco
    pre = Preprocessor(schema).fit(frame)
    rows = frame.iloc[:4].copy()
    rows["Contract"] = ["month-to-month", "One year", " Weekly ", "month to month"]
    rows.loc[rows.index[1], "PaymentMethod"] = None  # missing is not unseen
    checked = check_schema(rows, schema)
    [unseen] = find_unseen([pre], checked)
    assert unseen.column == "Contract" and unseen.positions == (0, 2, 3)
    assert unseen.near == {"month-to-month": "Month-to-month", "month to month": "Month-to-month"}
    assert "Weekly" in unseen.values and "Weekly" not in unseen.near
    encoded = pre.transform(checked)
    onehot = [c for c in encoded.columns if c.startswith("Contract=")]
    assert (encoded[onehot].to_numpy()[[0, 2, 3]] == 0).all()  # what 'unseen' means to the model


def test_an_ensemble_value_is_unseen_only_when_no_member_saw_it(telco):
    frame, schema = telco
    two_year = frame["Contract"] == "Two year"
    with_it = Preprocessor(schema).fit(frame)
    without = Preprocessor(schema).fit(frame[~two_year])
    rows = check_schema(frame[two_year].iloc[:2], schema)
    assert [u.column for u in find_unseen([without], rows)] == ["Contract"]
    assert find_unseen([without, with_it], rows) == []


def test_origins_name_records_and_lines():
    assert Origin("request").rows([0, 4]) == "records [0] and [4]"
    assert Origin("request", listed=False).rows([0]) == "the record"
    assert Origin("file", lines=lambda: [2, 4, 9]).rows([1, 2]) == "lines 4 and 9"
    assert Origin("file", lines=lambda: None).rows([1]) == "row 2 (counting data rows from 1)"


def test_the_error_names_column_rows_values_and_training_categories(telco):
    frame, schema = telco
    pre = Preprocessor(schema).fit(frame)
    rows = frame.iloc[:2].copy()
    rows["Contract"] = ["month-to-month", "Month-to-month"]
    unseen = find_unseen([pre], check_schema(rows, schema))
    err = UnseenCategories(unseen, Origin("request"))
    assert "'Contract' in record [0]: 'month-to-month' (training has 'Month-to-month')" \
        in err.message
    assert "one of: 'Month-to-month', 'One year', 'Two year'" in err.message
    assert err.details == [{"field": "[0].Contract", "type": "unseen_category",
                            "message": "category 'month-to-month' (training has "
                                       "'Month-to-month') was not in the training data"}]


@pytest.mark.parametrize("tags,policy", [(None, DEFAULT_UNSEEN), ({}, DEFAULT_UNSEEN),
                                         ({"unseen_categories": "error"}, "error"),
                                         ({"unseen_categories": "bogus"}, DEFAULT_UNSEEN)])
def test_policy_from_version_tags(tags, policy):
    assert policy_of(tags) == policy


def test_check_finite_reads_numbers_and_text_like_the_model(telco):
    _, schema = telco
    rows = pd.DataFrame({"tenure": [1.0, np.inf], "MonthlyCharges": ["2", " -Infinity"]})
    with pytest.raises(SchemaMismatch) as caught:
        check_finite(rows, schema, Origin("file", lines=lambda: [2, 3]))
    assert "column 'tenure'" in caught.value.message and "line 3: inf" in caught.value.message
    check_finite(pd.DataFrame({"tenure": [1.0, np.nan, 1e308]}), schema, Origin())
