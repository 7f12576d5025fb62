"""Test accuracy of the seed's Fashion-MNIST network, trained as ``modelyard train`` trains it.

Runs the pipeline (what the CLI calls) on ``examples/fashion_mnist/fashion_mnist.yaml`` in a
temporary home: Dense(128) -> ReLU -> Dropout(0.2) -> Dense(10), Adam, batch 32, 5 epochs, the
validation rows carved from the training file, the 10,000 official test images scored once.
Target (issue 3): test accuracy at least 0.87.

    .venv/bin/python bench/fashion_mnist.py [--spec examples/fashion_mnist/fashion_mnist.yaml]

Adds one record (accuracy on each part, epochs, seconds) to ``bench/results/fashion_mnist.json``
through ``bench/record.py``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import record

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "examples" / "fashion_mnist" / "fashion_mnist.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=SPEC)
    args = parser.parse_args()
    stamper = record.Stamper()

    from modelyard.pipeline import train
    from modelyard.settings import load_settings
    from modelyard.spec import load_spec

    spec = load_spec(args.spec)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="modelyard-bench-") as home:
        result = train(spec, load_settings(home))
    seconds = time.perf_counter() - started
    accuracy = {part: values.get("accuracy") for part, values in result.metrics.items()}
    done = {
        "spec": str(args.spec.resolve().relative_to(ROOT)) if args.spec.resolve().is_relative_to(
            ROOT) else str(args.spec),
        "learner": result.learner, "accuracy": accuracy, "epochs": len(result.history),
        "stop_reason": result.stop_reason, "fit_seconds": round(result.fit_seconds, 2),
        "seconds": round(seconds, 2), "stamp": stamper.stamp(),
    }  # fmt: skip
    record.add("fashion_mnist", [done], key=lambda r: (r["spec"],))
    print(f"accuracy: {accuracy}; {done['epochs']} epochs; fit {done['fit_seconds']} s, "
          f"whole train {done['seconds']} s (target: test accuracy >= 0.87)")


if __name__ == "__main__":
    main()
