"""``list_runs`` filters and ordering: parsing the small text forms and building the SQL.

Metric filters are joins on ``run_metrics`` read through the ``(key, value, run_id)`` index, and
every ordering ends in ``run_id`` so that pages are stable and can be read straight off an index.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from modelyard.errors import RegistryError, did_you_mean
from modelyard.registry.tables import RUN_STATUSES, run_metrics, runs

OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
}
# run columns that list_runs can order by; nullable ones sort their NULLs last
ORDER_COLUMNS = ("start_time", "end_time", "name", "status", "seed", "cpu_seconds", "run_id")
METRIC_PREFIX = "metric."
_FILTER = re.compile(
    r"\s*(?:metric\.)?(?P<key>[^<>=!]+?)\s*(?P<op>>=|<=|==|!=|=|>|<)\s*(?P<value>\S+)\s*"
)
_ORDER = re.compile(r"\s*(?P<key>\S+)(?:\s+(?P<dir>asc|desc))?\s*", re.IGNORECASE)

MetricFilter = tuple[str, str, float]
FILTER_FORMS = ("'test_roc_auc > 0.8', 'metric.test_rmse<=3', ('test_roc_auc', '>', 0.8) or a "
                "list of these")


@dataclass(frozen=True)
class Order:
    """What to sort runs by: a run column or a final metric, and the direction."""

    key: str
    metric: bool
    descending: bool


def parse_metric_filters(spec: object) -> list[MetricFilter]:
    """Normalise ``metric_filter`` to a list of (metric, operator, value) triples."""
    if spec is None:
        return []
    if isinstance(spec, str):
        parts = [p for p in re.split(r"\s+and\s+", spec.strip(), flags=re.IGNORECASE) if p]
        return [_parse_filter_text(p) for p in parts]
    if isinstance(spec, tuple) and len(spec) == 3 and isinstance(spec[1], str):
        return [_check_filter(*spec)]
    if isinstance(spec, Sequence):
        return [f for item in spec for f in parse_metric_filters(item)]
    raise RegistryError(
        f"metric_filter must be text or a (name, op, value) tuple, received {type(spec).__name__}",
        hint=f"write it as {FILTER_FORMS}",
    )


def _parse_filter_text(text: str) -> MetricFilter:
    match = _FILTER.fullmatch(text)
    if not match:
        raise RegistryError(
            f"cannot read metric filter {text!r}: expected '<metric> <op> <number>' with op one "
            f"of {', '.join(OPERATORS)}",
            hint=f"write it as {FILTER_FORMS}",
        )
    return _check_filter(match["key"], match["op"], match["value"])


def _check_filter(key: object, op: object, value: object) -> MetricFilter:
    if not isinstance(key, str) or not key.strip():
        raise RegistryError(f"metric filter names no metric: {key!r}", hint=f"write {FILTER_FORMS}")
    if op not in OPERATORS:
        raise RegistryError(
            f"unknown operator {op!r} in metric filter on {key!r}",
            hint=f"use one of {', '.join(OPERATORS)}",
        )
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise RegistryError(
            f"metric filter on {key!r} compares with {value!r}, which is not a number",
            hint=f"write {FILTER_FORMS}",
        ) from err
    if math.isnan(number):
        raise RegistryError(
            f"metric filter on {key!r} compares with NaN, which matches nothing",
            hint="compare with a number",
        )
    key = key.strip()
    return (key[len(METRIC_PREFIX) :] if key.startswith(METRIC_PREFIX) else key), str(op), number


def parse_order(spec: object) -> Order:
    """Read ``order_by``: 'start_time', 'end_time desc', 'metric.test_roc_auc DESC', ...

    Run columns sort ascending unless told otherwise, except start_time alone, which lists the
    newest runs first; metrics sort ascending unless DESC is given.
    """
    if spec is None:
        return Order("start_time", metric=False, descending=True)
    match = _ORDER.fullmatch(spec) if isinstance(spec, str) else None
    if not match:
        raise RegistryError(
            f"cannot read order_by {spec!r}: expected '<column or metric.NAME> [ASC|DESC]'",
            hint=f"columns: {', '.join(ORDER_COLUMNS)}; or e.g. 'metric.test_roc_auc DESC'",
        )
    key, direction = match["key"], (match["dir"] or "").lower()
    if key.startswith(METRIC_PREFIX) and len(key) > len(METRIC_PREFIX):
        return Order(key[len(METRIC_PREFIX) :], metric=True, descending=direction == "desc")
    if key not in ORDER_COLUMNS:
        raise RegistryError(
            f"cannot order runs by {key!r}: expected a run column or 'metric.<name>'",
            hint=did_you_mean(key, ORDER_COLUMNS) + " (or e.g. 'metric.test_roc_auc DESC')",
        )
    descending = direction == "desc" or (direction == "" and key == "start_time")
    return Order(key, metric=False, descending=descending)


def check_status(status: object) -> str | None:
    """A run status to filter by, or None; anything else raises listing the statuses."""
    if status is None or status in RUN_STATUSES:
        return status  # type: ignore[return-value]
    raise RegistryError(
        f"unknown run status {status!r}", hint=did_you_mean(str(status), RUN_STATUSES)
    )


def run_queries(
    *,
    status: str | None,
    name: str | None,
    filters: list[MetricFilter],
    order: Order,
    limit: int,
    offset: int,
) -> tuple[sa.Select, sa.Select]:
    """(page query selecting run rows, count query) for one list_runs call."""
    conditions: list[Any] = []
    aliases: list[Any] = []
    joined: dict[str, Any] = {}
    for i, (key, op, value) in enumerate(filters):
        alias = run_metrics.alias(f"mf{i}")
        conditions += [alias.c.key == key, OPERATORS[op](alias.c.value, value)]
        aliases.append(alias)
        joined.setdefault(key, alias)
    run_conditions = []
    if status is not None:
        run_conditions.append(runs.c.status == status)
    if name is not None:
        run_conditions.append(runs.c.name == name)

    source: Any = runs
    for alias in aliases:
        source = source.join(alias, alias.c.run_id == runs.c.run_id)
    where = conditions + run_conditions
    if aliases and not run_conditions:
        # every metric row belongs to a run (foreign key), so counting them needs no join
        metric_source: Any = aliases[0]
        for alias in aliases[1:]:
            metric_source = metric_source.join(alias, alias.c.run_id == aliases[0].c.run_id)
        count = sa.select(sa.func.count()).select_from(metric_source).where(*conditions)
    else:
        count = sa.select(sa.func.count()).select_from(source).where(*where)

    if order.metric:
        metric = joined.get(order.key)
        if metric is not None:  # filtered on the same metric: no NULLs, index order applies
            sort_key, tie = metric.c.value, metric.c.run_id
            sort_col = sort_key.desc() if order.descending else sort_key.asc()
        else:
            metric = run_metrics.alias("mo")
            source = source.outerjoin(
                metric, sa.and_(metric.c.run_id == runs.c.run_id, metric.c.key == order.key)
            )
            sort_key, tie = metric.c.value, runs.c.run_id
            sort_col = (sort_key.desc() if order.descending else sort_key.asc()).nulls_last()
    else:
        sort_key, tie = runs.c[order.key], runs.c.run_id
        sort_col = sort_key.desc() if order.descending else sort_key.asc()
        if sort_key.nullable:
            sort_col = sort_col.nulls_last()
    tie_col = tie.desc() if order.descending else tie.asc()

    page = (
        sa.select(runs)
        .select_from(source)
        .where(*where)
        .order_by(sort_col, tie_col)
        .limit(limit)
        .offset(offset)
    )
    return page, count
