"""The forecast task from the command line: train a spec, forecast every series to a file,
append newer observations, and the mistakes a user makes on the way."""

from __future__ import annotations

import pandas as pd
import yaml


def write_spec(tmp_path, data_dir, **forecast) -> str:
    spec = {
        "name": "hourly",
        "task": "forecast",
        "data": {"source": {"path": str(data_dir / "forecast/m4_hourly.parquet")},
                 "target": "value"},
        "forecast": {"time_column": "timestamp", "series_column": "series_id", "horizon": 12,
                     "backtest_windows": 2, **forecast},
        "search": {"time_budget": 60, "learners": ["seasonal_naive", "theta"]},
    }
    path = tmp_path / "forecast.yaml"
    path.write_text(yaml.safe_dump(spec))
    return str(path)


def test_train_then_forecast_every_series(cli, tmp_path, data_dir):
    trained = cli("train", write_spec(tmp_path, data_dir))
    assert trained.code == 0, trained.err
    assert "registered hourly version 1" in trained.out
    done = cli("predict", "hourly", "-o", tmp_path / "next.csv", "--json")
    assert done.code == 0, done.err
    assert done.json()["series"] == 6 and done.json()["rows"] == 72
    out = pd.read_csv(tmp_path / "next.csv", parse_dates=["timestamp"])
    assert list(out.columns) == ["series_id", "timestamp", "forecast", "lower", "upper"]
    assert (out.lower <= out.forecast).all() and (out.forecast <= out.upper).all()
    rows = pd.read_parquet(data_dir / "forecast/m4_hourly.parquet")
    ends = rows.groupby("series_id").timestamp.max()  # M4's series end at different times
    starts = out.groupby("series_id").timestamp.min()
    assert (starts == ends + pd.Timedelta(hours=1)).all()
    last = ends["H1"]
    # newer observations move the forecast on by as many steps
    newer = out[out.series_id == "H1"].head(2)[["series_id", "timestamp"]].assign(value=500.0)
    newer.to_csv(tmp_path / "newer.csv", index=False)
    moved = cli("predict", "hourly", tmp_path / "newer.csv", "-o", tmp_path / "moved.csv",
                "--horizon", "3")
    assert moved.code == 0, moved.err
    h1 = pd.read_csv(tmp_path / "moved.csv", parse_dates=["timestamp"]).query("series_id == 'H1'")
    assert h1.timestamp.min() == last + pd.Timedelta(hours=3) and len(h1) == 3


def test_forecast_mistakes_are_clear(cli, tmp_path, data_dir):
    bad = cli("train", write_spec(tmp_path, data_dir, frequency="D"))
    assert bad.code == 2 and "off its frequency 'D'" in bad.err
    short = cli("train", write_spec(tmp_path, data_dir, horizon=200))
    assert short.code == 2 and "shorter than" in short.err
    assert cli("train", write_spec(tmp_path, data_dir)).code == 0
    long = cli("predict", "hourly", "-o", tmp_path / "x.csv", "--horizon", "13")
    assert long.code == 2 and "at most 12 steps" in long.err
    tabular = cli("predict", "nosuch", "-o", tmp_path / "x.csv")
    assert tabular.code == 2 and "nosuch" in tabular.err
