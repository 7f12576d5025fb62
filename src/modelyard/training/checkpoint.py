"""Checkpoints: a safetensors file of every tensor plus a JSON document of everything else.

Layout of a checkpoint directory::

    checkpoint.json                          # the commit record (format, epoch, sha256, state tree)
    state-000002-<sha12>.safetensors   # model, optimizer, scheduler tensors, RNG states (uint8)

Both files are written atomically (temp file in the same directory, fsync, ``os.replace``), tensors
first; the JSON is replaced last, so a process killed at any moment leaves the previous complete
checkpoint. The JSON names the tensor file and its SHA-256, verified on read. Nothing is pickled.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import safetensors.torch
import torch
from safetensors.torch import load as load_safetensors

from modelyard.atomic import TMP_PREFIX, atomic_write_bytes
from modelyard.errors import TrainingError
from modelyard.training.callbacks import Callback
from modelyard.training.state import FitState, collect, decode, encode

CHECKPOINT_JSON = "checkpoint.json"
FORMAT = "modelyard.checkpoint"
VERSION = 1


@dataclass(frozen=True)
class Checkpointed:
    """A checkpoint read back: ``payload`` is what ``state.collect`` produced, decoded."""

    epoch: int
    payload: dict[str, Any]
    finished: dict[str, Any] | None  # {'stop_reason', 'best_epoch'} once the fit ended


def _write_json(directory: Path, doc: dict[str, Any]) -> None:
    atomic_write_bytes(
        directory / CHECKPOINT_JSON, json.dumps(doc, allow_nan=False).encode("utf-8"), sync_dir=True
    )


def write_checkpoint(directory: str | Path, payload: dict[str, Any],
                     replaces: str | None = None) -> dict[str, Any]:
    """Write ``payload`` (plain values and tensors) as the checkpoint of ``directory``.

    ``replaces`` names the tensor file of the checkpoint this one supersedes (one this fit wrote,
    or the one it resumed from): only that file, and the temp files of this writer's own killed
    writes, are removed. Nothing else in the directory is touched.
    """
    directory = Path(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tree, tensors = encode(payload)
        data = safetensors.torch.save(tensors)
        digest = hashlib.sha256(data).hexdigest()
        name = f"state-{int(payload['epoch']):06d}-{digest[:12]}.safetensors"
        atomic_write_bytes(directory / name, data, sync_dir=True)
        doc = {
            "format": FORMAT,
            "version": VERSION,
            "epoch": int(payload["epoch"]),
            "tensors": name,
            "sha256": digest,
            "finished": None,
            "state": tree,
        }
        _write_json(directory, doc)
        stale = [directory / replaces] if replaces and replaces != name else []
        stale += [p for p in directory.iterdir()  # what a write of this format left when killed
                  if p.name.startswith((f"{TMP_PREFIX}state-", f"{TMP_PREFIX}{CHECKPOINT_JSON}-"))]
        for path in stale:
            with contextlib.suppress(OSError):
                path.unlink()
    except OSError as err:
        raise TrainingError(
            f"cannot write a checkpoint to {directory}: {err}",
            hint="check that the directory is writable and the disk is not full",
        ) from err
    return doc


def mark_finished(
    directory: str | Path, doc: dict[str, Any], stop_reason: str | None, best_epoch: int | None
) -> dict[str, Any]:
    """Record in the checkpoint JSON that the fit ended, and why (the tensors stay as they are)."""
    doc = dict(doc, finished={"stop_reason": stop_reason, "best_epoch": best_epoch})
    _write_json(Path(directory), doc)
    return doc


def find_checkpoint(directory: str | Path | None) -> Path | None:
    """The checkpoint JSON in ``directory``, or None when there is none yet."""
    if directory is None:
        return None
    path = Path(directory) / CHECKPOINT_JSON
    return path if path.is_file() else None


def read_checkpoint(directory: str | Path) -> Checkpointed:
    """Read and verify the checkpoint in ``directory``."""
    path = find_checkpoint(directory)
    if path is None:
        raise TrainingError(
            f"no checkpoint in {directory}: expected a {CHECKPOINT_JSON} there",
            hint="resume only from a directory a Checkpoint callback wrote to",
        )
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise TrainingError(
            f"cannot read checkpoint {path}: {err}",
            hint="the file is damaged; delete the directory to start fresh",
        ) from err
    if doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise TrainingError(
            f"{path} is not a modelyard checkpoint of version {VERSION}: "
            f"format={doc.get('format')!r}, version={doc.get('version')!r}",
            hint="resume only from checkpoints written by this version of modelyard",
        )
    tensor_path = Path(directory) / doc["tensors"]
    try:
        data = tensor_path.read_bytes()
    except OSError as err:
        raise TrainingError(
            f"checkpoint tensors {tensor_path} are missing: {err}",
            hint="the checkpoint is incomplete; delete it to start fresh",
        ) from err
    digest = hashlib.sha256(data).hexdigest()
    if digest != doc["sha256"]:
        raise TrainingError(
            f"checkpoint tensors {tensor_path} do not match their recorded hash: "
            f"expected sha256 {doc['sha256']}, got {digest}",
            hint="the file was modified or damaged; delete the checkpoint to start fresh",
        )
    tensors = load_safetensors(data)  # safetensors bytes: plain tensors, no code
    return Checkpointed(int(doc["epoch"]), decode(doc["state"], tensors), doc.get("finished"))


def data_digest(train: Sequence[torch.Tensor], val: Sequence[torch.Tensor] | None) -> str:
    """SHA-256 of the training and validation tensors (shapes, types and bytes)."""
    digest = hashlib.sha256()
    for part, tensors in (("train", train), ("val", val or ())):
        for tensor in tensors:
            array = tensor.detach().cpu().contiguous().numpy()
            digest.update(f"{part}:{array.dtype}:{array.shape};".encode())
            digest.update(array.tobytes())
    return digest.hexdigest()


def check_same_data(saved: str | None, now: str | None, directory: str | Path) -> None:
    """A checkpoint resumes only the fit on the same rows (one saved before the digest was
    recorded resumes as before)."""
    if saved is not None and now is not None and saved != now:
        raise TrainingError(
            f"cannot resume from {directory}: its checkpoint was trained on other data "
            f"(rows digest {saved[:12]}, these rows {now[:12]})",
            hint="resume with the data that training started on, or train in an empty "
            "checkpoint folder")


class Checkpoint(Callback):
    """Write a checkpoint to ``directory`` after every epoch, and mark it finished at the end.

    Runs after the other callbacks (``order``) so that their states of the same epoch are saved.
    A directory that holds another fit's checkpoint is refused (``claim``): a fresh fit never
    overwrites or deletes what it did not write, and a resumed one takes over only the
    checkpoint the trainer verified it resumes.
    """

    order = 100

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.written = 0
        self._doc: dict[str, Any] | None = None
        self._owned: str | None = None  # the tensor file of the checkpoint this fit may replace

    def claim(self, resumed_from: str | Path | None) -> None:
        """Before the first epoch: refuse a directory holding someone else's checkpoint."""
        existing = find_checkpoint(self.directory)
        if existing is None:
            return
        if resumed_from is not None and Path(resumed_from).resolve() == self.directory.resolve():
            with contextlib.suppress(OSError, ValueError):
                self._owned = json.loads(existing.read_text(encoding="utf-8")).get("tensors")
            return
        raise TrainingError(
            f"{self.directory} holds a checkpoint of another training: this fit would "
            "overwrite it",
            hint="give this training an empty checkpoint folder, or resume the training that "
            "wrote it (modelyard train --resume RUN)")

    def on_fit_start(self, state: FitState) -> None:
        self._doc = None

    def on_epoch_end(self, state: FitState) -> None:
        self.written += 1
        self._doc = write_checkpoint(self.directory, collect(state), replaces=self._owned)
        self._owned = self._doc["tensors"]

    def on_fit_end(self, state: FitState) -> None:
        if self._doc is not None:
            mark_finished(
                self.directory, self._doc, state.history.stop_reason, state.history.best_epoch
            )

    def state_dict(self) -> dict[str, Any]:
        return {"written": self.written}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.written = int(state["written"])
