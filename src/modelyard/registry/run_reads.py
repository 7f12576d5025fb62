"""Reading runs back: one run (by id or a unique prefix), its metric series, and pages of runs
filtered by status, name and metrics."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from modelyard.errors import NotFound, did_you_mean
from modelyard.registry.base import StoreBase
from modelyard.registry.records import MetricPoint, Page, RunInfo
from modelyard.registry.run_queries import (
    check_status,
    parse_metric_filters,
    parse_order,
    run_queries,
)
from modelyard.registry.tables import metric_points, run_metrics, run_params, runs
from modelyard.registry.urls import redact
from modelyard.registry.values import check_page, stored_metric

RUN_ID_LENGTH = 32  # a run id is a UUID4 as 32 hex characters
MIN_RUN_PREFIX = 8  # the shortest prefix that names a run (tables show 12)


class RunReadsMixin(StoreBase):
    """What the metadata store answers about runs. ``mark_dead_runs`` (the writing half) runs
    first, so a run whose process died reads as killed."""

    # -- reading ------------------------------------------------------------------------------
    def resolve_run(self, run_id: str) -> str:
        """The full id of the run ``run_id`` names: the id itself, or a unique prefix of at
        least :data:`MIN_RUN_PREFIX` characters (as tables show them)."""
        text = run_id.strip().lower() if isinstance(run_id, str) else ""
        if len(text) == RUN_ID_LENGTH or not MIN_RUN_PREFIX <= len(text) < RUN_ID_LENGTH \
                or not all(c in "0123456789abcdef" for c in text):
            return run_id
        with self._read() as conn:
            found = conn.execute(
                sa.select(runs.c.run_id).where(runs.c.run_id.like(text + "%"))
                .order_by(runs.c.run_id).limit(5)
            ).scalars().all()
        if len(found) > 1:
            raise NotFound(
                f"run id prefix {run_id!r} matches several runs: {', '.join(found)}",
                hint="give more characters of the run id (modelyard runs list shows them)",
            )
        return found[0] if found else run_id

    def get_run(self, run_id: str) -> RunInfo:
        """Everything recorded about one run (dead runs are marked first)."""
        self.mark_dead_runs()
        with self._read() as conn:
            return self._run_infos(conn, [self._require_run(conn, run_id)])[0]

    def get_metric_history(self, run_id: str, name: str) -> list[MetricPoint]:
        """The series of a metric, ordered by step; [] for a metric logged only as final."""
        with self._read() as conn:
            self._require_run(conn, run_id)
            rows = conn.execute(
                sa.select(metric_points.c.step, metric_points.c.value, metric_points.c.timestamp)
                .where(metric_points.c.run_id == run_id, metric_points.c.key == name)
                .order_by(metric_points.c.step, metric_points.c.id)
            ).all()
            if rows:
                return [MetricPoint(r.step, stored_metric(r.value), r.timestamp) for r in rows]
            known = self._metric_names(conn, run_id)
        if name in known:
            return []
        # hint: python-api: only code that calls modelyard directly meets it
        raise NotFound(
            f"run {run_id} has no metric {name!r}"
            + (f"; it has {', '.join(sorted(known))}" if known else "; it logged no metrics"),
            hint=did_you_mean(name, sorted(known)) if known else "log it with log_metrics first",
        )

    def get_metric_series(self, run_id: str) -> dict[str, list[MetricPoint]]:
        """Every per-step series a run logged (per epoch, per boosting round), by name."""
        with self._read() as conn:
            self._require_run(conn, run_id)
            rows = conn.execute(
                sa.select(metric_points.c.key, metric_points.c.step, metric_points.c.value,
                          metric_points.c.timestamp)
                .where(metric_points.c.run_id == run_id)
                .order_by(metric_points.c.key, metric_points.c.step, metric_points.c.id)
            ).all()
        series: dict[str, list[MetricPoint]] = {}
        for r in rows:
            series.setdefault(r.key, []).append(MetricPoint(r.step, stored_metric(r.value),
                                                            r.timestamp))
        return series

    def list_runs(
        self,
        *,
        status: str | None = None,
        name: str | None = None,
        metric_filter: Any = None,
        order_by: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[RunInfo]:
        """One page of runs matching every filter, newest first unless ``order_by`` says otherwise.

        ``metric_filter``: 'roc_auc>0.8', 'roc_auc > 0.8 and rmse < 3', ('roc_auc', '>', 0.8)
        or a list of these. ``order_by``: a run column ('start_time', 'end_time DESC', ...) or
        'metric.<name> [ASC|DESC]'; runs without that metric come last.
        """
        limit, offset = check_page(limit, offset)
        filters, order = parse_metric_filters(metric_filter), parse_order(order_by)
        page_query, count_query = run_queries(
            status=check_status(status),
            name=name,
            filters=filters,
            order=order,
            limit=limit,
            offset=offset,
        )
        self.mark_dead_runs()
        with self._read() as conn:
            rows = conn.execute(page_query).all()
            total = conn.execute(count_query).scalar_one()
            items = self._run_infos(conn, rows)
            named = [key for key, _, _ in filters] + ([order.key] if order.metric else [])
            if named and total == 0:  # an empty answer: was a metric misspelt?
                self._check_metric_names(conn, named)
        return Page(tuple(items), total, limit, offset)

    def _check_metric_names(self, conn: sa.Connection, names: list[str]) -> None:
        """NotFound for the first of ``names`` that no run has, listing the names runs have."""
        known = sorted(conn.execute(sa.select(run_metrics.c.key).distinct()).scalars())
        for name in names:
            if name not in known:
                shown = ", ".join(known[:30]) + (f" and {len(known) - 30} more"
                                                 if len(known) > 30 else "")
                raise NotFound(
                    f"no run has a metric {name!r}; the metrics runs have: {shown or 'none yet'}",
                    hint=did_you_mean(name, known) if known else "train a model first",
                )

    # -- helpers ------------------------------------------------------------------------------
    def _require_run(self, conn: sa.Connection, run_id: str, *, lock: bool = False) -> Any:
        query = sa.select(runs).where(runs.c.run_id == run_id)
        row = conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise NotFound(
                f"no run {run_id!r} in the metadata store {redact(self.url)}",
                hint=f"run ids are {RUN_ID_LENGTH} hex characters (or their first "
                f"{MIN_RUN_PREFIX} or more); modelyard runs list shows the runs",
            )
        return row

    def _metric_names(self, conn: sa.Connection, run_id: str) -> set[str]:
        series = sa.select(metric_points.c.key).where(metric_points.c.run_id == run_id)
        final = sa.select(run_metrics.c.key).where(run_metrics.c.run_id == run_id)
        return set(conn.execute(sa.union(series, final)).scalars())

    def _run_infos(self, conn: sa.Connection, rows: Iterable[Any]) -> list[RunInfo]:
        rows = list(rows)
        ids = [r.run_id for r in rows]
        params: dict[str, dict[str, Any]] = {i: {} for i in ids}
        metrics: dict[str, dict[str, float]] = {i: {} for i in ids}
        if ids:
            for r in conn.execute(sa.select(run_params).where(run_params.c.run_id.in_(ids))):
                params[r.run_id][r.key] = json.loads(r.value)
            for r in conn.execute(sa.select(run_metrics).where(run_metrics.c.run_id.in_(ids))):
                metrics[r.run_id][r.key] = stored_metric(r.value)
        return [
            RunInfo(
                run_id=r.run_id,
                name=r.name,
                status=r.status,
                start_time=r.start_time,
                end_time=r.end_time,
                seed=r.seed,
                spec=r.spec,
                params=params[r.run_id],
                metrics=metrics[r.run_id],
                tags=dict(r.tags or {}),
                host=r.host,
                pid=r.pid,
                python_version=r.python_version,
                library_versions=dict(r.library_versions or {}),
                git_commit=r.git_commit,
                cpu_seconds=r.cpu_seconds,
                error=r.error,
                data_fingerprint=r.data_fingerprint,
                data=dict(r.data or {}),
            )
            for r in rows
        ]
