"""The content-addressed artifact store: atomic writes, directory round trips, verification."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

import pytest

from modelyard.errors import Conflict, IntegrityError, NotFound, RegistryError
from modelyard.registry import ArtifactStore, parse_uri


def flip_byte(path: Path, at: int = 0) -> None:
    os.chmod(path, 0o644)  # stored objects are read-only
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def model_dir(root: Path) -> Path:
    (root / "learner").mkdir(parents=True)
    (root / "bundle.json").write_text('{"task": "binary"}')
    (root / "learner" / "model.txt").write_text("tree\n" * 100)
    (root / "learner" / "weights.bin").write_bytes(bytes(range(256)) * 4)
    return root


@pytest.fixture
def store(tmp_path) -> ArtifactStore:
    return ArtifactStore(tmp_path / "artifacts")


def test_constructor_touches_nothing(tmp_path):
    ArtifactStore(tmp_path / "artifacts")
    assert not (tmp_path / "artifacts").exists()


def test_put_file_is_content_addressed_and_deduplicated(store, tmp_path):
    src = tmp_path / "a.txt"
    src.write_bytes(b"hello")
    uri = store.put_file(src)
    assert uri == "sha256:" + hashlib.sha256(b"hello").hexdigest()
    assert store.put_file(src) == uri and store.put_bytes(b"hello") == uri
    assert store.get_file(uri).read_bytes() == b"hello" and store.exists(uri)
    objects = [p for p in (store.root / "objects").rglob("*") if p.is_file()]
    assert len(objects) == 1 and not objects[0].name.startswith(".tmp")


def test_put_is_atomic_a_reader_never_sees_part_of_a_file(store, tmp_path):
    data = os.urandom(1 << 20) * 24  # 24 MiB, written in 1 MiB blocks
    src = tmp_path / "big.bin"
    src.write_bytes(data)
    target = store.root / "objects" / hashlib.sha256(data).hexdigest()[:2]
    target = target / hashlib.sha256(data).hexdigest()[2:]
    seen: list[int] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if target.exists():
                seen.append(target.stat().st_size)
                return

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        uri = store.put_file(src)
    finally:
        done.set()
        watcher.join()
    assert seen in ([], [len(data)])  # absent, then complete: never a partial size
    assert store.get_file(uri).stat().st_size == len(data)
    assert not list((store.root / "objects").rglob(".tmp-*"))


def test_directory_round_trip(store, tmp_path):
    src = model_dir(tmp_path / "model")
    uri = store.put_dir(src)
    assert store.put_dir(src) == uri  # the tree is canonical JSON: same files, same uri
    out = store.get_dir(uri, tmp_path / "out")
    for rel in ("bundle.json", "learner/model.txt", "learner/weights.bin"):
        assert (out / rel).read_bytes() == (src / rel).read_bytes()
    cached = store.get_dir(uri)
    assert cached == store.get_dir(uri) and (cached / "learner" / "model.txt").is_file()
    with pytest.raises(Conflict, match="not an empty directory"):
        store.get_dir(uri, out)


def test_a_flipped_byte_in_a_file_is_an_integrity_error(store, tmp_path):
    src = tmp_path / "a.txt"
    src.write_bytes(b"hello world")
    uri = store.put_file(src)
    flip_byte(store.get_file(uri), 3)
    with pytest.raises(IntegrityError, match=f"artifact {uri} is corrupt") as err:
        store.get_file(uri)
    assert "backup" in err.value.hint


def test_a_flipped_byte_inside_a_tree_names_the_file(store, tmp_path):
    src = model_dir(tmp_path / "model")
    uri = store.put_dir(src)
    weights = store.get_file(store.put_file(src / "learner" / "weights.bin"))
    flip_byte(weights, 100)
    with pytest.raises(IntegrityError, match=f"file 'learner/weights.bin' of directory {uri}"):
        store.get_dir(uri, tmp_path / "out")


def test_missing_and_malformed_uris(store, tmp_path):
    with pytest.raises(NotFound, match="not in the artifact store"):
        store.get_file("sha256:" + "0" * 64)
    with pytest.raises(NotFound):
        store.get_dir("sha256:" + "0" * 64)
    with pytest.raises(RegistryError, match="64 lowercase hex"):
        parse_uri("md5:abc")
    with pytest.raises(NotFound, match="no such file"):
        store.put_file(tmp_path / "nope.txt")
    with pytest.raises(NotFound, match="no such directory"):
        store.put_dir(tmp_path / "nope")
    src = tmp_path / "a.txt"
    src.write_text("x")
    with pytest.raises(RegistryError, match="not a directory"):
        store.get_dir(store.put_file(src))
    with pytest.raises(RegistryError, match="put_dir"):
        store.put_file(tmp_path)


def test_a_missing_file_of_a_tree_is_not_found(store, tmp_path):
    src = model_dir(tmp_path / "model")
    uri = store.put_dir(src)
    store.get_file(store.put_file(src / "bundle.json")).unlink()
    with pytest.raises(NotFound, match="'bundle.json'"):
        store.get_dir(uri, tmp_path / "out")


def test_a_tree_with_an_escaping_path_is_refused(store, tmp_path):
    inner = store.put_bytes(b"payload")
    tree = {"files": {"../escape.txt": inner}, "kind": "modelyard.tree", "version": 1}
    uri = store.put_bytes(json.dumps(tree).encode())
    with pytest.raises(IntegrityError, match="unsafe path '../escape.txt'"):
        store.get_dir(uri, tmp_path / "out")
    assert not (tmp_path / "escape.txt").exists()
