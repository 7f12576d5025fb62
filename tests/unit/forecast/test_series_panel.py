"""Observations as series: what becomes a panel and what is refused with a clear error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelyard.data.series import build_panel
from modelyard.errors import DataError


@pytest.fixture
def m4(data_dir) -> pd.DataFrame:
    return pd.read_parquet(data_dir / "forecast/m4_hourly.parquet")


@pytest.fixture
def walmart(data_dir) -> pd.DataFrame:
    return pd.read_csv(data_dir / "forecast/walmart.csv")


def panel(frame, **kw):
    base = {"time_column": "timestamp", "target": "value", "series_column": "series_id"}
    return build_panel(frame, **{**base, **kw})


def test_m4_slice_is_six_hourly_series_with_their_category(m4):
    p = panel(m4, static=["category"])
    assert p.ids == ("H1", "H10", "H105", "H150", "H200", "H300")
    assert p.frequency == "h" and list(p.lengths) == [288] * 6
    assert all(t.is_monotonic_increasing for t in p.times)
    assert len(p.static["category"]) == 6
    last = m4[m4.series_id == "H10"].sort_values("timestamp").value.to_numpy()
    np.testing.assert_allclose(p.values[1], last)
    assert len(p.cut(24).values[0]) == 264 and len(p.tail(24).values[0]) == 24
    assert p.future_times(2)[0][0] == p.times[0][-1] + pd.Timedelta(hours=1)


def test_walmart_weekly_dd_mm_yy_dates_with_covariates(walmart):
    p = build_panel(walmart, time_column="Date", target="Weekly_Sales", series_column="Store",
                    date_format="%d/%m/%y", known=["Holiday_Flag", "Fuel_Price"])
    assert p.frequency == "W-FRI" and len(p) == 4
    assert p.times[0][0] == pd.Timestamp("2010-02-05")  # 05/02/10 is the 5th of February
    assert len(p.known["Fuel_Price"][0]) == len(p.values[0]) == 143


def test_duplicated_time_stamps_are_named(m4):
    doubled = pd.concat([m4, m4.iloc[[5]]])
    with pytest.raises(DataError, match="share a series and time stamp") as err:
        panel(doubled)
    assert "H1 @" in err.value.message and "aggregate" in err.value.hint


def test_gaps_are_refused_or_filled_as_asked(m4):
    holes = m4.drop(index=m4.index[[10, 11, 300]])
    with pytest.raises(DataError, match="missing time stamps") as err:
        panel(holes)
    assert "H1 (2 missing" in err.value.message and "fill_gaps" in err.value.hint
    filled = panel(holes, fill_gaps="interpolate")
    assert list(filled.lengths) == [288] * 6 and np.isfinite(filled.values[0]).all()
    zero = panel(holes, fill_gaps="zero")
    assert zero.values[0][10] == 0.0  # exact: the fill value itself


def test_missing_target_values_need_a_fill(m4):
    blank = m4.copy()
    blank.loc[blank.index[3], "value"] = np.nan
    with pytest.raises(DataError, match="missing target values"):
        panel(blank)
    assert np.isfinite(panel(blank, fill_gaps="forward").values[0]).all()


def test_a_static_covariate_that_changes_is_refused(m4):
    changed = m4.copy()
    changed.loc[changed.index[7], "category"] = "Other-2"
    with pytest.raises(DataError, match="changes within series 'H1'"):
        panel(changed, static=["category"])


@pytest.mark.parametrize("mutate,needle", [
    (lambda f: f.drop(columns=["value"]), "not in the data"),
    (lambda f: f.iloc[:0], "no rows"),
    (lambda f: f.assign(timestamp="yesterday"), "not dates"),
    (lambda f: f.assign(value="many"), "must be numeric"),
])  # fmt: skip
def test_bad_tables_get_clear_errors(m4, mutate, needle):
    with pytest.raises(DataError, match=needle) as err:
        panel(mutate(m4))
    assert err.value.hint


def test_series_too_short_for_the_windows(m4):
    with pytest.raises(DataError, match="shorter than the 500 points") as err:
        panel(m4, min_length=500)
    assert "horizon" in err.value.hint
