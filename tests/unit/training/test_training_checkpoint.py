"""Checkpoints: file format, atomic writes, and exact resume (in-process and after SIGKILL)."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from modelyard.errors import TrainingError
from modelyard.training import (
    Callback,
    Checkpoint,
    LoopConfig,
    Trainer,
    find_checkpoint,
    read_checkpoint,
    write_checkpoint,
)
from modelyard.training.state import decode, encode

HERE = Path(__file__).parent
_spec = importlib.util.spec_from_file_location(
    "training_resume_job", HERE / "training_resume_job.py"
)
job = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(job)

TIMING = ("epoch_seconds", "samples_per_sec")


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class Killed(Exception):
    """Stands in for a crash: raised by a callback in the middle of a fit."""


class CrashAt(Callback):
    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_start(self, state) -> None:
        if state.epoch == self.epoch:
            raise Killed(f"crash at the start of epoch {self.epoch}")


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        # exact: same computation twice (reproducibility): resume restores the exact state
        assert torch.equal(sa[key], sb[key]), f"parameter {key} differs after resume"


def _records(history) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in TIMING} for r in history]


def _uninterrupted(tmp_path: Path, cfg: LoopConfig):
    train, val = job.data()
    module = job.model()
    history = Trainer(cfg, [Checkpoint(tmp_path / "full")]).fit(module, train, val)
    return module, history


def test_codec_round_trips_nested_state_without_pickle():
    state = {
        "a": torch.arange(3),
        "b": (1.5, float("inf"), float("nan")),
        3: {"x": [torch.ones(2, 2)]},
        "$odd": None,
        "nested": {"t": torch.tensor(2.0)},
    }
    tree, tensors = encode(state)
    text = json.dumps(tree, allow_nan=False)  # strict JSON: non-finite floats are tagged
    back = decode(json.loads(text), tensors)
    assert torch.equal(back["a"], state["a"]) and torch.equal(back[3]["x"][0], torch.ones(2, 2))
    assert back["b"][0] == 1.5  # exact: stored value read back
    assert back["b"][1] == math.inf and math.isnan(back["b"][2])
    assert isinstance(back["b"], tuple) and back["$odd"] is None
    assert torch.equal(back["nested"]["t"], torch.tensor(2.0))


def test_checkpoint_files_are_json_and_safetensors_only(tmp_path):
    _uninterrupted(tmp_path, job.config())
    files = sorted(p.name for p in (tmp_path / "full").iterdir())
    assert (
        files[0] == "checkpoint.json" and len(files) == 2 and files[1].startswith("state-000006-")
    )
    doc = json.loads((tmp_path / "full" / "checkpoint.json").read_text())
    assert doc["epoch"] == 6 and doc["finished"]["stop_reason"] == "max_epochs"
    raw = (tmp_path / "full" / files[1]).read_bytes()
    header_len = int.from_bytes(raw[:8], "little")  # safetensors: u64 header length, JSON header
    header = json.loads(raw[8 : 8 + header_len])
    assert "rng/torch" in header and header["rng/torch"]["dtype"] == "U8"
    assert any(k.startswith("optimizer/state/") for k in header)
    assert any(k.startswith("callbacks/EarlyStopping/best_state/") for k in header)


def test_resume_after_crash_gives_exactly_the_uninterrupted_weights(tmp_path):
    cfg = job.config()
    full, full_history = _uninterrupted(tmp_path, cfg)
    train, val = job.data()
    with pytest.raises(Killed):
        Trainer(cfg, [Checkpoint(tmp_path / "cut"), CrashAt(3)]).fit(job.model(), train, val)
    assert read_checkpoint(tmp_path / "cut").epoch == 2
    resumed = job.model(init_seed=123)  # a fresh module with other weights: all must come from disk
    history = Trainer(cfg, [Checkpoint(tmp_path / "cut")]).fit(
        resumed, train, val, resume_from=tmp_path / "cut"
    )
    _same_weights(full, resumed)
    # exact: same computation twice (reproducibility): resume restores the exact state
    assert _records(history) == _records(full_history) and history.stop_reason == "max_epochs"


def test_two_epochs_then_resume_to_four_matches_four_epochs(tmp_path):
    cfg4 = LoopConfig.from_dict(
        {**job.config().to_dict(), "epochs": 4, "schedule": {"name": "none"}}
    )
    cfg2 = LoopConfig.from_dict({**cfg4.to_dict(), "epochs": 2})
    full, _ = _uninterrupted(tmp_path, cfg4)
    train, val = job.data()
    Trainer(cfg2, [Checkpoint(tmp_path / "two")]).fit(job.model(), train, val)
    resumed = job.model(init_seed=5)
    history = Trainer(cfg4, [Checkpoint(tmp_path / "two")]).fit(
        resumed, train, val, resume_from=tmp_path / "two"
    )
    assert [r["epoch"] for r in history] == [1, 2, 3, 4]
    _same_weights(full, resumed)


def test_resume_after_sigkill_of_a_real_process(tmp_path):
    directory = tmp_path / "killed"
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            [str(HERE.parents[2] / "src"), os.environ.get("PYTHONPATH", "")]
        ),
    )
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "training_resume_job.py"), str(directory), "0.4"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            path = find_checkpoint(directory)
            if path is not None and json.loads(path.read_text())["epoch"] >= 2:
                break
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.02)
        else:
            pytest.fail("the training process wrote no checkpoint of epoch 2 within 60 s")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    killed_at = read_checkpoint(directory).epoch
    assert 2 <= killed_at < job.EPOCHS
    full, full_history = _uninterrupted(tmp_path, job.config())
    train, val = job.data()
    resumed = job.model(init_seed=99)
    history = Trainer(job.config(), [Checkpoint(directory)]).fit(
        resumed, train, val, resume_from=directory
    )
    _same_weights(full, resumed)
    assert _records(history) == _records(full_history)  # exact: same computation twice (resume)


def test_resuming_a_finished_run_trains_nothing(tmp_path):
    full, full_history = _uninterrupted(tmp_path, job.config())
    train, val = job.data()
    again = job.model(init_seed=1)
    history = Trainer(job.config(), [Checkpoint(tmp_path / "full")]).fit(
        again, train, val, resume_from=tmp_path / "full"
    )
    _same_weights(full, again)
    assert len(history) == len(full_history) and history.stop_reason == full_history.stop_reason


def test_resume_with_another_config_is_refused(tmp_path):
    _uninterrupted(tmp_path, job.config())
    other = LoopConfig.from_dict({**job.config().to_dict(), "batch_size": 32})
    train, val = job.data()
    with pytest.raises(TrainingError, match=r"batch_size: checkpoint 16, now 32"):
        Trainer(other).fit(job.model(), train, val, resume_from=tmp_path / "full")


def test_tampered_or_missing_checkpoint_is_an_error(tmp_path):
    with pytest.raises(TrainingError, match="no checkpoint"):
        read_checkpoint(tmp_path / "nothing")
    write_checkpoint(tmp_path / "c", {"epoch": 1, "w": torch.ones(3)})
    tensors = next((tmp_path / "c").glob("state-*.safetensors"))
    tensors.write_bytes(tensors.read_bytes()[:-4] + b"\x00\x00\x80\x7f")
    with pytest.raises(TrainingError, match="do not match their recorded hash"):
        read_checkpoint(tmp_path / "c")


def test_a_killed_write_leaves_the_previous_checkpoint_readable(tmp_path):
    first = write_checkpoint(tmp_path, {"epoch": 1, "w": torch.ones(3)})
    (tmp_path / ".tmp-state-000002-partial").write_bytes(b"half a file")  # a write cut short
    back = read_checkpoint(tmp_path)
    assert back.epoch == 1 and torch.equal(back.payload["w"], torch.ones(3))
    write_checkpoint(tmp_path, {"epoch": 2, "w": torch.zeros(3)}, replaces=first["tensors"])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names[0] == "checkpoint.json" and len(names) == 2  # the stale temp file was cleaned up


def test_a_checkpoint_never_deletes_what_it_did_not_write(tmp_path):
    theirs = tmp_path / "state-000007-0123456789ab.safetensors"  # another writer's tensors
    notes = tmp_path / "state-notes.txt"
    for path in (theirs, notes):
        path.write_bytes(b"not ours")
    first = write_checkpoint(tmp_path, {"epoch": 1, "w": torch.ones(3)})
    second = write_checkpoint(tmp_path, {"epoch": 2, "w": torch.ones(3)}, replaces=first["tensors"])
    assert theirs.read_bytes() == notes.read_bytes() == b"not ours"
    assert not (tmp_path / first["tensors"]).exists() and (tmp_path / second["tensors"]).exists()


def test_a_fresh_fit_refuses_a_folder_holding_another_checkpoint(tmp_path):
    _uninterrupted(tmp_path, job.config())
    before = {p.name: p.read_bytes() for p in (tmp_path / "full").iterdir()}
    train, val = job.data()
    with pytest.raises(TrainingError, match="holds a checkpoint of another training"):
        Trainer(job.config(), [Checkpoint(tmp_path / "full")]).fit(job.model(), train, val)
    assert {p.name: p.read_bytes() for p in (tmp_path / "full").iterdir()} == before


def test_resuming_on_other_rows_is_refused(tmp_path):
    _uninterrupted(tmp_path, job.config())
    train, val = job.data()
    other = (train[0] + 1.0, *train[1:])  # the same shapes, other numbers
    with pytest.raises(TrainingError, match="trained on other data"):
        Trainer(job.config()).fit(job.model(), other, val, resume_from=tmp_path / "full")
