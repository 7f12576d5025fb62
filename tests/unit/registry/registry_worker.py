"""One contender in the concurrency test, run as its own process.

    python registry_worker.py URL SYNC_DIR INDEX

Opens the store, waits at the start line (SYNC_DIR/start), creates a run, logs 200 metric points,
waits until every worker has logged (SYNC_DIR/logged-*), registers a version of the shared model
and prints {"run_id": ..., "version": ...} as JSON.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

from modelyard.registry import MetadataStore

POINTS = 200
MODEL = "shared-model"
WAIT_S = 300  # generous: CI runs this beside other tests on two cores


def wait_for(sync: Path, condition, what: str) -> None:
    """Wait until ``condition()``; stop at once when another worker has failed (failed-*)."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        failed = sorted(p.name for p in sync.glob("failed-*"))
        if failed:
            raise SystemExit(f"worker stopped waiting for {what}: {', '.join(failed)} failed")
        if time.monotonic() > deadline:
            raise SystemExit(f"worker gave up waiting for {what} after {WAIT_S} s")
        time.sleep(0.005)


def main(url: str, sync: Path, index: int, workers: int) -> None:
    (sync / f"ready-{index}").touch()
    wait_for(sync, (sync / "start").exists, "the start file")
    store = MetadataStore(url).open()  # on a new SQLite file every worker races to migrate
    run_id = store.create_run(f"worker-{index}", {"worker": index}, seed=index)
    for step in range(POINTS):
        store.log_metrics(run_id, {"loss": 1.0 / (step + 1)}, step=step)
    (sync / f"logged-{index}").touch()
    wait_for(sync, lambda: len(list(sync.glob("logged-*"))) == workers, "the other workers")
    version = store.register_version(
        MODEL,
        run_id=run_id,
        artifact_uri="sha256:" + f"{index:02x}" * 32,
        schema={},
        metrics={"worker": index},
    )
    store.finish_run(run_id, "finished")
    store.close()
    print(json.dumps({"run_id": run_id, "version": version}), flush=True)


if __name__ == "__main__":
    sync_dir, worker_index = Path(sys.argv[2]), int(sys.argv[3])
    try:
        main(sys.argv[1], sync_dir, worker_index, int(sys.argv[4]))
    except Exception:  # not SystemExit: a worker that stopped waiting is not the cause
        # tell the others, so they stop waiting and the test shows this worker's traceback
        (sync_dir / f"failed-{worker_index}").write_text(traceback.format_exc())
        raise
