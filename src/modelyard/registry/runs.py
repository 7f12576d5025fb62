"""Run tracking: create, log params and metrics, finish, read back, list, and mark dead runs."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from modelyard.errors import Conflict, NotFound, RegistryError, did_you_mean
from modelyard.registry.base import StoreBase
from modelyard.registry.environment import current_environment
from modelyard.registry.liveness import process_alive
from modelyard.registry.records import MetricPoint, Page, RunInfo
from modelyard.registry.run_queries import (
    check_status,
    parse_metric_filters,
    parse_order,
    run_queries,
)
from modelyard.registry.tables import (
    FINAL_STATUSES,
    NAME_LENGTH,
    metric_points,
    run_metrics,
    run_params,
    runs,
)
from modelyard.registry.urls import redact
from modelyard.registry.values import (
    check_int,
    check_key,
    check_mapping,
    check_page,
    check_tags,
    json_text,
    metric_value,
    now,
    stored_metric,
    to_json,
)

# set_run_data keys that live in their own column rather than in the JSON ``data`` field
FINGERPRINT_KEYS = ("fingerprint", "data_fingerprint")


RUN_ID_LENGTH = 32  # a run id is a UUID4 as 32 hex characters
MIN_RUN_PREFIX = 8  # the shortest prefix that names a run (tables show 12)

class RunsMixin(StoreBase):
    """The run-tracking half of the metadata store."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        # process_time() at create_run, per run created through this object: the default CPU time
        self._cpu_start: dict[str, float] = {}

    # -- writing ------------------------------------------------------------------------------
    def create_run(
        self,
        name: str | None,
        spec: dict[str, Any],
        seed: int,
        *,
        data_fingerprint: str | None = None,
        schema: dict[str, Any] | None = None,
        tags: dict[str, str] | None = None,
    ) -> str:
        """Record a new run in status 'running' with its environment; returns its id (uuid hex)."""
        if name is not None and (not isinstance(name, str) or len(name) > NAME_LENGTH):
            raise RegistryError(
                f"run name must be text of at most {NAME_LENGTH} characters, received {name!r}",
                hint="pass a short name such as 'churn-baseline', or None",
            )
        if data_fingerprint is not None and not isinstance(data_fingerprint, str):
            # hint: python-api: only code that calls modelyard directly meets it
            raise RegistryError(
                f"data_fingerprint must be text, received {type(data_fingerprint).__name__}",
                hint="pass the string that Source.fingerprint() returned",
            )
        spec_json = to_json(dict(check_mapping(spec, "spec")), "the run spec")
        data = {"schema": to_json(schema, "the schema")} if schema is not None else {}
        env = current_environment()
        run_id = uuid.uuid4().hex
        row = {
            "run_id": run_id,
            "name": name,
            "status": "running",
            "start_time": now(),
            "seed": check_int(seed, "seed"),
            "host": env.host,
            "pid": env.pid,
            "python_version": env.python_version,
            "library_versions": env.library_versions,
            "git_commit": env.git_commit,
            "spec": spec_json,
            "data_fingerprint": data_fingerprint,
            "data": data,
            "tags": {k: v for k, v in check_tags(tags).items() if v is not None},
        }
        self._write(lambda conn: conn.execute(runs.insert(), row), what="create_run")
        self._cpu_start[run_id] = time.process_time()
        return run_id

    def log_params(self, run_id: str, params: dict[str, Any]) -> None:
        """Record params; logging a param again with a different value is a Conflict."""
        rows = [
            {"run_id": run_id, "key": check_key(k, "param"), "value": json_text(v, f"param {k!r}")}
            for k, v in check_mapping(params, "params").items()
        ]

        def work(conn: sa.Connection) -> None:
            self._require_run(conn, run_id)
            keys = [r["key"] for r in rows]
            old = dict(
                conn.execute(
                    sa.select(run_params.c.key, run_params.c.value).where(
                        run_params.c.run_id == run_id, run_params.c.key.in_(keys)
                    )
                ).all()
            )
            for r in rows:
                if r["key"] in old and old[r["key"]] != r["value"]:
                    raise Conflict(
                        f"param {r['key']!r} of run {run_id} is already {old[r['key']]}; "
                        f"received {r['value']}",
                        hint="params are fixed once logged; log the new value under another "
                        "name or start a new run",
                    )
            self._upsert(
                conn, run_params, [r for r in rows if r["key"] not in old], ["run_id", "key"]
            )

        if rows:
            self._write(work, what="log_params")

    def log_metrics(self, run_id: str, metrics: dict[str, float], step: int | None = None) -> None:
        """Record metrics: final values when ``step`` is None (the last one logged wins), else
        one point per metric of a series (epoch, iteration) at ``step``."""
        values = {
            check_key(k, "metric"): metric_value(k, v)
            for k, v in check_mapping(metrics, "metrics").items()
        }
        if step is not None:
            step = check_int(step, "step", minimum=0)
        stamp = now()

        def work(conn: sa.Connection) -> None:
            self._require_run(conn, run_id)
            if step is None:
                rows = [
                    {"run_id": run_id, "key": k, "value": v, "timestamp": stamp}
                    for k, v in values.items()
                ]
                self._upsert(conn, run_metrics, rows, ["run_id", "key"], ["value", "timestamp"])
            else:
                conn.execute(
                    metric_points.insert(),
                    [
                        {"run_id": run_id, "key": k, "step": step, "value": v, "timestamp": stamp}
                        for k, v in values.items()
                    ],
                )

        if values:
            self._write(work, what="log_metrics")

    def set_run_data(self, run_id: str, **fields: Any) -> None:
        """Merge JSON fields (schema, split, result, ...) into the run's data; None removes one.

        ``fingerprint`` (or ``data_fingerprint``) sets the run's data fingerprint column.
        """
        updates = {k: to_json(v, f"run data field {k!r}") for k, v in fields.items()}

        def work(conn: sa.Connection) -> None:
            row = self._require_run(conn, run_id, lock=True)
            data = dict(row.data or {})
            values: dict[str, Any] = {}
            for key, value in updates.items():
                if key in FINGERPRINT_KEYS:
                    if value is not None and not isinstance(value, str):
                        # hint: python-api: only code that calls modelyard directly meets it
                        raise RegistryError(
                            f"{key} must be text, received {type(value).__name__}",
                            hint="pass the string that Source.fingerprint() returned",
                        )
                    values["data_fingerprint"] = value
                elif value is None:
                    data.pop(key, None)
                else:
                    data[key] = value
            values["data"] = data
            conn.execute(runs.update().where(runs.c.run_id == run_id).values(**values))

        if updates:
            self._write(work, what="set_run_data")

    def set_run_tags(self, run_id: str, tags: dict[str, str | None]) -> None:
        """Merge tags into the run's tags; a None value removes that tag."""
        changes = check_tags(tags)

        def work(conn: sa.Connection) -> None:
            current = dict(self._require_run(conn, run_id, lock=True).tags or {})
            for key, value in changes.items():
                if value is None:
                    current.pop(key, None)
                else:
                    current[key] = value
            conn.execute(runs.update().where(runs.c.run_id == run_id).values(tags=current))

        self._write(work, what="set_run_tags")

    def finish_run(
        self,
        run_id: str,
        status: str,
        error: str | None = None,
        cpu_seconds: float | None = None,
    ) -> None:
        """End a running run as 'finished', 'failed' or 'killed', with its end time and CPU time.

        ``cpu_seconds`` defaults to the process CPU time since ``create_run`` when the run was
        created by this store object in this process; otherwise it stays unknown.
        """
        if status not in FINAL_STATUSES:
            raise RegistryError(
                f"cannot finish a run with status {status!r}: expected one of "
                f"{', '.join(FINAL_STATUSES)}",
                hint=did_you_mean(str(status), FINAL_STATUSES),
            )
        if error is not None and not isinstance(error, str):
            error = str(error)
        started = self._cpu_start.pop(run_id, None)
        if cpu_seconds is None and started is not None:
            cpu_seconds = time.process_time() - started

        def work(conn: sa.Connection) -> None:
            row = self._require_run(conn, run_id, lock=True)
            if row.status != "running":
                raise Conflict(
                    f"run {run_id} already ended with status {row.status!r}"
                    + (f" ({row.error})" if row.error else ""),
                    hint="a run is finished once; start a new run to record another attempt",
                )
            conn.execute(
                runs.update()
                .where(runs.c.run_id == run_id)
                .values(status=status, end_time=now(), error=error, cpu_seconds=cpu_seconds)
            )

        self._write(work, what="finish_run")

    def reopen_run(self, run_id: str) -> RunInfo:
        """Set a killed or failed run back to 'running' in this process (to resume it).

        The run keeps its id, start time, spec, params and metric series; host, pid and CPU
        accounting become this process's, the resume time is appended to the run data's
        ``resumed_at`` list (``resumes`` counts them), and the earlier end and error are cleared.
        """
        self.mark_dead_runs()
        env = current_environment()

        def work(conn: sa.Connection) -> None:
            row = self._require_run(conn, run_id, lock=True)
            if row.status not in ("killed", "failed"):
                raise Conflict(
                    f"run {run_id} is {row.status!r}; only a killed or failed run can be resumed",
                    hint="a running run is still training; a finished run has its model already",
                )
            data = dict(row.data or {})
            data["resumed_at"] = [*data.get("resumed_at", []), now().isoformat()]
            data["resumes"] = len(data["resumed_at"])
            conn.execute(
                runs.update()
                .where(runs.c.run_id == run_id)
                .values(status="running", end_time=None, error=None, host=env.host, pid=env.pid,
                        data=data)
            )

        self._write(work, what="reopen_run")
        self._cpu_start[run_id] = time.process_time()
        return self.get_run(run_id)

    def mark_dead_runs(self) -> list[str]:
        """Turn 'running' runs whose process on this host has ended into 'killed' runs.

        Returns the ids it marked. Runs on other hosts are left alone: their processes cannot
        be checked from here.
        """
        host = socket.gethostname()
        with self._read() as conn:
            candidates = conn.execute(
                sa.select(runs.c.run_id, runs.c.pid, runs.c.start_time, runs.c.data).where(
                    runs.c.status == "running", runs.c.host == host
                )
            ).all()
        dead = [r for r in candidates if not process_alive(r.pid, _last_start(r))]
        if not dead:
            return []

        def work(conn: sa.Connection) -> list[str]:
            marked = []
            for r in dead:
                done = conn.execute(
                    runs.update()
                    .where(runs.c.run_id == r.run_id, runs.c.status == "running")
                    .values(
                        status="killed",
                        end_time=now(),
                        error=f"process {r.pid} on {host} ended without finishing the run",
                    )
                )
                if done.rowcount:
                    marked.append(r.run_id)
            return marked

        return self._write(work, what="mark_dead_runs")

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


def _last_start(row: Any) -> datetime:
    """When the process now holding a run started it: its last resume, else its start. A pid
    that belongs to a process started before that is a reused pid, not the run's."""
    resumed = (row.data or {}).get("resumed_at") or []
    return datetime.fromisoformat(resumed[-1]) if resumed else row.start_time
