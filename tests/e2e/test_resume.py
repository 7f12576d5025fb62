"""`modelyard train --resume RUN` after a killed process ends with the same weights as a run that
was never interrupted (same seed)."""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from safetensors.numpy import load_file

from modelyard.registry.registry import Registry
from modelyard.settings import load_settings

SPEC = """
name: fashion
data:
  source:
    format: idx
    path: {{train: {train}, test: {test}}}
  target: label
split: {{train: 0.8, validation: 0.2, test: 0.0}}
model:
  learner: mlp
  params: {{hidden_sizes: [32], dropout: 0.2, epochs: 6, batch_size: 64, patience: 50, lr: 0.002}}
seed: 3
"""


def _write_spec(tmp_path: Path, data_dir: Path) -> Path:
    spec = tmp_path / "fashion.yaml"
    fm = tmp_path / "fashion_mnist"  # a copy, which the resume test changes and puts back
    shutil.copytree(data_dir / "fashion_mnist", fm)
    spec.write_text(
        SPEC.format(train=fm / "train-images-idx3-ubyte.gz", test=fm / "t10k-images-idx3-ubyte.gz")
    )
    return spec


def _change_one_pixel(images: Path) -> bytes:
    """Rewrite the gzipped idx file with one pixel changed; returns the original bytes."""
    original = images.read_bytes()
    raw = bytearray(gzip.decompress(original))
    raw[-1] = (raw[-1] + 1) % 256  # the last pixel of the last image
    images.write_bytes(gzip.compress(bytes(raw)))
    return original


def _weights(run_dir: Path) -> dict:
    (path,) = (run_dir / "model" / "learner").glob("*.safetensors")
    return load_file(str(path))


def test_resume_after_kill_matches_uninterrupted_run(tmp_path, data_dir, cli):
    spec = _write_spec(tmp_path, data_dir)
    home = tmp_path / "killed_home"
    env = {**os.environ, "MODELYARD_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelyard", "train", str(spec), "--json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 180
    checkpoint = None
    while time.time() < deadline and proc.poll() is None:
        found = list(home.glob("runs/*/checkpoint/checkpoint.json"))
        if found and '"epoch": 2' in found[0].read_text():
            checkpoint = found[0]
            break
        time.sleep(0.05)
    assert checkpoint is not None, "the training process never wrote its epoch-2 checkpoint"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    run_dir = checkpoint.parent.parent
    assert not (run_dir / "model").exists()  # killed before any model was written
    with Registry.open(load_settings(home)) as registry:
        killed = registry.store.get_run(run_dir.name)
    assert killed.status == "killed"

    # the data changed under the killed run: resuming would train on other rows, so it refuses
    images = spec.parent / "fashion_mnist" / "train-images-idx3-ubyte.gz"
    original = _change_one_pixel(images)
    refused = subprocess.run(
        [sys.executable, "-m", "modelyard", "train", "--resume", run_dir.name[:12]],
        env=env, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2, refused.stderr
    assert "changed since it started" in refused.stderr and "Traceback" not in refused.stderr
    with Registry.open(load_settings(home)) as registry:
        assert registry.store.get_run(run_dir.name).status == "killed"  # nothing was touched
    images.write_bytes(original)

    resumed = subprocess.run(
        [sys.executable, "-m", "modelyard", "train", "--resume", run_dir.name, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    with Registry.open(load_settings(home)) as registry:
        finished = registry.store.get_run(run_dir.name)
    # the run keeps when it started; the resume is recorded beside it
    assert finished.start_time == killed.start_time  # exact: a stored time read back
    assert len(finished.data["resumed_at"]) == 1 and finished.data["resumes"] == 1
    assert finished.status == "finished"

    whole = cli("train", spec, "--json")
    assert whole.code == 0, whole.err
    reference = _weights(Path(whole.json()["run_dir"]))
    continued = _weights(run_dir)
    assert reference.keys() == continued.keys()
    for name in reference:
        # exact: same computation twice (reproducibility): the resumed run restores the exact
        # state (weights, optimiser, random generators) and runs the remaining epochs' same steps
        assert (reference[name] == continued[name]).all(), name
