"""Train a list of specs through the real pipeline into one MODELYARD_HOME; print what they saved.

Run by ``test_reproducible.py`` in a fresh process, as
``python reproducible_runs.py HOME SPECS_JSON [CPU]``: ``SPECS_JSON`` maps a label to a spec; with
``CPU`` the process pins itself to that one core before it imports anything that sizes a thread
pool. Prints one JSON object: ``cpus``, the cores the process ran on, and ``runs``: for each
label, the registered version's artifact URI, the SHA-256 of every file of the saved model, the
test metrics and the leaderboard without its timings.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

# leaderboard fields that time a trial: they differ from run to run by nature
TIMING_FIELDS = ("fit_seconds", "predict_seconds_per_1k", "seconds", "latency_p99_ms")


def run(home: Path, specs: dict[str, dict]) -> dict[str, dict]:
    # imported here, after the caller pinned the process: OpenMP and PyTorch size their thread
    # pools from the cores the process may use when they load
    from modelyard.hashing import sha256_file
    from modelyard.pipeline import train
    from modelyard.registry.registry import Registry
    from modelyard.settings import load_settings
    from modelyard.spec import validate_spec

    settings = load_settings(home)
    out: dict[str, dict] = {}
    for label, spec in specs.items():
        result = train(validate_spec(spec), settings)
        with Registry.open(settings) as registry:
            version = registry.store.get_version(result.model_name, result.version)
        model_dir = Path(result.model_dir)
        out[label] = {
            "artifact_uri": version.artifact_uri,
            "files": {
                str(path.relative_to(model_dir)): sha256_file(path)
                for path in sorted(model_dir.rglob("*"))
                if path.is_file()
            },
            "test": result.metrics["test"].to_dict(),
            "leaderboard": [
                {k: v for k, v in entry.items() if k not in TIMING_FIELDS}
                for entry in result.leaderboard
            ],
        }
    return out


if __name__ == "__main__":
    if len(sys.argv) > 3:
        os.sched_setaffinity(0, {int(sys.argv[3])})
    runs = run(Path(sys.argv[1]), json.loads(sys.argv[2]))
    print(json.dumps({"cpus": len(os.sched_getaffinity(0)), "runs": runs}))
