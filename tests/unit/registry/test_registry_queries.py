"""Parsing of list_runs filters and ordering, and the checks on values handed to the store."""

from __future__ import annotations

import math

import numpy as np
import pytest

from modelyard.errors import RegistryError
from modelyard.registry.records import Page
from modelyard.registry.run_queries import Order, parse_metric_filters, parse_order
from modelyard.registry.values import check_page, metric_value, to_json


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("roc_auc>0.8", [("roc_auc", ">", 0.8)]),
        (" metric.roc_auc >= 0.8 ", [("roc_auc", ">=", 0.8)]),
        ("rmse<3 AND r2 != 0", [("rmse", "<", 3.0), ("r2", "!=", 0.0)]),
        (("val/loss", "<=", 1), [("val/loss", "<=", 1.0)]),
        ([("a", "=", 1), "b==2"], [("a", "=", 1.0), ("b", "==", 2.0)]),
        ("x > -1e-3", [("x", ">", -0.001)]),
        (None, []),
    ],
)
def test_metric_filter_forms(spec, expected):
    assert parse_metric_filters(spec) == expected


@pytest.mark.parametrize("spec", ["roc_auc", "roc_auc > ", "> 3", "a > nan", ("a", "~", 1), 3])
def test_bad_metric_filters_show_the_forms(spec):
    with pytest.raises(RegistryError) as err:
        parse_metric_filters(spec)
    assert err.value.hint


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, Order("start_time", metric=False, descending=True)),
        ("start_time", Order("start_time", metric=False, descending=True)),
        ("start_time asc", Order("start_time", metric=False, descending=False)),
        ("end_time", Order("end_time", metric=False, descending=False)),
        ("metric.roc_auc DESC", Order("roc_auc", metric=True, descending=True)),
        ("metric.rmse", Order("rmse", metric=True, descending=False)),
    ],
)
def test_order_forms(spec, expected):
    assert parse_order(spec) == expected


def test_unknown_order_column_suggests_one():
    with pytest.raises(RegistryError, match="cannot order runs by 'strat_time'") as err:
        parse_order("strat_time")
    assert "'start_time'" in err.value.hint
    with pytest.raises(RegistryError, match="expected"):
        parse_order("start_time sideways")


def test_metric_values():
    assert metric_value("a", np.float32(0.5)) == 0.5  # exact: converted to float, not computed
    assert metric_value("a", 3) == 3.0  # exact: converted to float, not computed
    assert metric_value("a", math.nan) is None  # stored as NULL, read back as NaN
    for bad in ("0.5", True, None, [1]):
        with pytest.raises(RegistryError, match="must be a number"):
            metric_value("a", bad)


def test_json_values():
    # exact: numbers converted to JSON types, not computed
    assert to_json({"a": np.int64(3), "b": np.array([1.5])}, "x") == {"a": 3, "b": [1.5]}
    with pytest.raises(RegistryError, match="NaN"):
        to_json({"a": math.nan}, "the spec")
    with pytest.raises(RegistryError, match="the spec cannot be stored as JSON"):
        to_json({"a": object()}, "the spec")


def test_page_bounds():
    assert check_page(50, 0) == (50, 0)
    for limit, offset in ((0, 0), (10**6, 0), (10, -1), (1.5, 0)):
        with pytest.raises(RegistryError):
            check_page(limit, offset)
    page = Page(items=(1, 2), total=5, limit=2, offset=2)
    assert page.has_more and list(page) == [1, 2] and len(page) == 2


def test_a_filter_on_a_metric_no_run_has_names_the_ones_that_exist(tmp_path):
    from modelyard.errors import NotFound
    from modelyard.registry.store import MetadataStore

    with MetadataStore(f"sqlite:///{tmp_path / 'm.db'}") as store:
        run = store.create_run("churn", {}, seed=0)
        store.log_metrics(run, {"test_roc_auc": 0.8, "test_f1": 0.5})
        with pytest.raises(NotFound, match="no run has a metric 'roc_auc'") as caught:
            store.list_runs(metric_filter="roc_auc > 0")
        assert "test_roc_auc" in caught.value.message and "test_roc_auc" in caught.value.hint
        with pytest.raises(NotFound, match="'accuracy'"):
            store.list_runs(order_by="metric.accuracy DESC", status="failed")
        assert store.list_runs(metric_filter="test_roc_auc > 0.9").total == 0  # known: no error
        assert store.list_runs(metric_filter="test_roc_auc > 0.5").total == 1
