"""The artifact store under attack or decay: a cached copy deleted, edited or swapped for a link
heals from the verified objects (``predict`` works and says nothing alarming); a missing or
corrupt object is a clear error naming the model and the file, and the store is left as it was.

Each ``prepare`` gets the probe's work folder; the copied store is ``work.parent / "home"``. The
cache is made first by reading the model through the registry, as any command would.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from bad_input.harness import Probe
from modelyard.registry.registry import Registry
from modelyard.settings import load_settings

PREDICT = ("predict", "churn", "{data}/telco_churn.csv", "-o", "{work}/out.csv")
LEARNER_FILE = "learner/linear.npz"  # the weights of the logistic churn model
HEALED = dict(code=0, stdout=("rows predicted",))
CALM = ("error", "traceback", "not in the artifact store", "hint:")


def _home(work: Path) -> Path:
    return work.parent / "home"


def _cached(work: Path) -> Path:
    """The cache copy of churn's artifact, made by reading it through the registry."""
    with Registry.open(load_settings(_home(work))) as registry:
        version = registry.store.resolve("churn")
        return registry.artifacts.get_dir(version.artifact_uri)


def _object(work: Path, data: bytes) -> Path:
    digest = hashlib.sha256(data).hexdigest()
    return _home(work) / "artifacts" / "objects" / digest[:2] / digest[2:]


def _tree_object(work: Path) -> Path:
    with Registry.open(load_settings(_home(work))) as registry:
        uri = registry.store.resolve("churn").artifact_uri
    digest = uri.removeprefix("sha256:")
    return _home(work) / "artifacts" / "objects" / digest[:2] / digest[2:]


def _overwrite(path: Path, data: bytes) -> None:
    os.chmod(path, 0o644)  # stored objects are read-only
    path.write_bytes(data)


def _delete_cached_file(work: Path) -> None:
    (_cached(work) / LEARNER_FILE).unlink()


def _edit_cached_file(work: Path) -> None:
    _overwrite(_cached(work) / LEARNER_FILE, b"not the weights")


def _link_cached_folder(work: Path) -> None:
    cached = _cached(work)
    decoy = work / "decoy"
    shutil.copytree(cached, decoy)
    _overwrite(decoy / LEARNER_FILE, b"someone else's weights")
    shutil.rmtree(cached)
    cached.symlink_to(decoy, target_is_directory=True)


def _corrupt_object(work: Path, *, cached: bool = False) -> None:
    folder = _cached(work)
    weights = (folder / LEARNER_FILE).read_bytes()
    if cached:
        _overwrite(folder / LEARNER_FILE, b"not the weights")
    else:
        shutil.rmtree(folder)
    _overwrite(_object(work, weights), weights[:-1] + bytes([weights[-1] ^ 1]))


def _delete_object(work: Path) -> None:
    folder = _cached(work)
    weights = (folder / LEARNER_FILE).read_bytes()
    shutil.rmtree(folder)
    _object(work, weights).unlink()


def _corrupt_tree(work: Path) -> None:
    tree = _tree_object(work)
    _overwrite(tree, tree.read_bytes().replace(b"linear.npz", b"linear.npy"))


PROBES = [
    Probe("cache-file-deleted", PREDICT, prepare=_delete_cached_file, never=(*CALM, "corrupt"),
          **HEALED),
    Probe("cache-file-edited", PREDICT, prepare=_edit_cached_file, never=CALM,
          says=(LEARNER_FILE, "replaced it with the verified stored object"), **HEALED),
    Probe("cache-folder-is-a-link", PREDICT, prepare=_link_cached_folder, never=CALM,
          says=("rebuilding it from the stored objects",), **HEALED),
    Probe("object-corrupt", PREDICT, prepare=_corrupt_object,
          says=("cannot load churn:1", LEARNER_FILE, "is corrupt", "backup")),
    Probe("object-and-cache-corrupt", PREDICT,
          prepare=lambda work: _corrupt_object(work, cached=True),
          says=("cannot load churn:1", LEARNER_FILE, "is corrupt", "backup")),
    Probe("object-deleted", PREDICT, prepare=_delete_object,
          says=("cannot load churn:1", LEARNER_FILE, "not in the artifact store", "backup")),
    Probe("tree-object-corrupt", PREDICT, prepare=_corrupt_tree,
          says=("cannot load churn:1", "is corrupt", "backup")),
]
