"""Datetime columns: calendar parts, hour only with a time part, elapsed days, imputation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelyard.data.schema import Column, Schema
from modelyard.errors import DataError
from modelyard.features import Preprocessor
from modelyard.features.datetime import DatetimeEncoder


def test_invoice_date_parts_from_strings(retail):
    values = retail["InvoiceDate"]  # 'm/d/yyyy h:mm' strings
    enc = DatetimeEncoder("InvoiceDate").fit(values)
    parsed = pd.to_datetime(values, format="%m/%d/%Y %H:%M")
    out = enc.transform(values)
    assert enc.names_out_ == [
        f"InvoiceDate__{p}" for p in ("year", "month", "day", "dayofweek", "hour", "elapsed_days")
    ]
    assert out["InvoiceDate__year"].tolist() == parsed.dt.year.astype(float).tolist()
    assert out["InvoiceDate__month"].tolist() == parsed.dt.month.astype(float).tolist()
    assert out["InvoiceDate__day"].tolist() == parsed.dt.day.astype(float).tolist()
    assert out["InvoiceDate__dayofweek"].tolist() == parsed.dt.day_of_week.astype(float).tolist()
    assert out["InvoiceDate__hour"].tolist() == parsed.dt.hour.astype(float).tolist()
    elapsed = (parsed - parsed.min()) / pd.Timedelta(days=1)
    assert np.allclose(out["InvoiceDate__elapsed_days"], elapsed)
    assert out["InvoiceDate__elapsed_days"].min() == pytest.approx(0.0, abs=1e-12)


def test_parsed_datetimes_and_strings_encode_the_same(retail):
    parsed = pd.to_datetime(retail["InvoiceDate"], format="%m/%d/%Y %H:%M")
    enc = DatetimeEncoder("InvoiceDate").fit(parsed)
    from_strings = enc.transform(retail["InvoiceDate"].astype(object))
    assert from_strings.equals(enc.transform(parsed))


def test_no_hour_for_date_only_values_and_missing_is_imputed():
    values = pd.Series(["2021-03-01", "2021-03-05", None, "2021-03-02"])
    enc = DatetimeEncoder("d").fit(values)
    assert "d__hour" not in enc.names_out_
    assert enc.names_out_[-1] == "d__missing"
    out = enc.transform(values)
    assert out.loc[2, "d__day"] == pytest.approx(2.0, abs=1e-12)  # lower median of 1, 2, 5 March
    assert out["d__missing"].tolist() == pytest.approx([0.0, 0.0, 1.0, 0.0], abs=1e-12)
    serving = enc.transform(pd.Series(["2021-02-28 13:00"]))
    assert serving.loc[0, "d__elapsed_days"] == pytest.approx(-1 + 13 / 24)


def test_scaled_parts_have_training_mean_zero(retail):
    enc = DatetimeEncoder("InvoiceDate", scale=True).fit(retail["InvoiceDate"])
    out = enc.transform(retail["InvoiceDate"])
    assert np.allclose(out.mean().to_numpy(), 0.0, atol=1e-9)


def test_timezone_aware_values_become_utc():
    values = pd.Series(pd.to_datetime(["2021-01-01 23:30"]).tz_localize("America/New_York"))
    enc = DatetimeEncoder("t").fit(values)
    out = enc.transform(values)
    assert (out.loc[0, "t__day"], out.loc[0, "t__hour"]) == pytest.approx((2.0, 4.0), abs=1e-12)


def test_unparseable_string_raises(retail):
    enc = DatetimeEncoder("InvoiceDate").fit(retail["InvoiceDate"])
    with pytest.raises(DataError) as err:
        enc.transform(pd.Series(["12/1/2010 8:45", "not a date"]))
    assert "InvoiceDate" in str(err.value) and "'not a date'" in str(err.value)


def test_schema_format_reads_a_one_row_serving_batch_like_the_training_rows():
    training = pd.Series(["13/02/2021 10:00", "01/03/2021 11:30", "28/02/2021 09:15"])
    enc = DatetimeEncoder("d", format="%d/%m/%Y %H:%M").fit(training)
    served = enc.transform(pd.Series(["01/02/2021 08:00"]))  # ambiguous alone: day first here
    assert (served.loc[0, "d__month"], served.loc[0, "d__day"]) == \
        pytest.approx((2.0, 1.0), abs=1e-12)
    other = enc.transform(pd.Series(["2021-02-03 08:00"]))  # not the format: inferred instead
    assert (other.loc[0, "d__month"], other.loc[0, "d__day"]) == \
        pytest.approx((2.0, 3.0), abs=1e-12)


def test_preprocessor_passes_the_schema_format(retail):
    schema = Schema(columns=(Column("InvoiceDate", "datetime", "str", format="%m/%d/%Y %H:%M"),))
    pre = Preprocessor(schema).fit(retail)
    assert pre.encoders_["InvoiceDate"].format == "%m/%d/%Y %H:%M"
    served = pre.transform(pd.DataFrame({"InvoiceDate": ["1/12/2011 9:05"]}))
    month, day = served.loc[0, "InvoiceDate__month"], served.loc[0, "InvoiceDate__day"]
    assert (month, day) == pytest.approx((1.0, 12.0), abs=1e-12)
