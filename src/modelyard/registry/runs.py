"""Run tracking: create, log params and metrics, finish, reopen, and mark dead runs."""

from __future__ import annotations

import socket
import time
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from modelyard.errors import Conflict, RegistryError, did_you_mean
from modelyard.registry.environment import current_environment
from modelyard.registry.liveness import process_alive
from modelyard.registry.records import RunInfo
from modelyard.registry.run_reads import RunReadsMixin
from modelyard.registry.tables import (
    FINAL_STATUSES,
    NAME_LENGTH,
    metric_points,
    run_metrics,
    run_params,
    runs,
)
from modelyard.registry.values import (
    check_int,
    check_key,
    check_mapping,
    check_tags,
    json_text,
    metric_value,
    now,
    to_json,
)

# set_run_data keys that live in their own column rather than in the JSON ``data`` field
FINGERPRINT_KEYS = ("fingerprint", "data_fingerprint")



class RunsMixin(RunReadsMixin):
    """The run-tracking half of the metadata store: writing runs (reading them: run_reads)."""

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


def _last_start(row: Any) -> datetime:
    """When the process now holding a run started it: its last resume, else its start. A pid
    that belongs to a process started before that is a reused pid, not the run's."""
    resumed = (row.data or {}).get("resumed_at") or []
    return datetime.fromisoformat(resumed[-1]) if resumed else row.start_time
