"""The artifact cache is a cache: whatever happens to a cached copy, the next read rebuilds it from
the verified objects (and logs what was wrong); only a missing or corrupt object is an error."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import pytest

from modelyard.errors import IntegrityError, NotFound
from modelyard.registry import ArtifactStore

FILES = {
    "bundle.json": b'{"task": "binary"}',
    "learner/model.txt": b"tree\n" * 100,
    "learner/weights.bin": bytes(range(256)) * 4,
}


@pytest.fixture
def store(tmp_path) -> ArtifactStore:
    return ArtifactStore(tmp_path / "artifacts")


@pytest.fixture
def uri(store, tmp_path) -> str:
    src = tmp_path / "model"
    for rel, data in FILES.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    return store.put_dir(src)


def object_of(store: ArtifactStore, rel: str) -> Path:
    digest = hashlib.sha256(FILES[rel]).hexdigest()
    return store.root / "objects" / digest[:2] / digest[2:]


def contents(folder: Path) -> dict[str, bytes]:
    """Every entry under ``folder``: files by their bytes; links and folders marked as such."""
    found: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[rel] = b"<link>"
        elif path.is_file():
            found[rel] = path.read_bytes()
    return found


def overwrite(path: Path, data: bytes) -> None:
    os.chmod(path, 0o644)
    path.write_bytes(data)


def test_a_deleted_cache_file_is_copied_again_quietly(store, uri, caplog):
    cached = store.get_dir(uri)
    (cached / "learner" / "weights.bin").unlink()
    with caplog.at_level(logging.INFO, logger="modelyard.registry"):
        assert store.get_dir(uri) == cached
    assert contents(cached) == FILES
    assert [r.levelno for r in caplog.records] == [logging.INFO]
    assert "'learner/weights.bin'" in caplog.text and "missing" in caplog.text


@pytest.mark.parametrize("rel", sorted(FILES))
def test_an_edited_cache_file_is_replaced_and_the_corruption_logged(store, uri, rel, caplog):
    cached = store.get_dir(uri)
    overwrite(cached / rel, b"edited")
    with caplog.at_level(logging.WARNING, logger="modelyard.registry"):
        store.get_dir(uri)
    assert contents(cached) == FILES
    assert f"'{rel}'" in caplog.text and "corrupt" in caplog.text
    assert hashlib.sha256(b"edited").hexdigest()[:12] in caplog.text  # what the bytes hashed to


def test_a_deleted_cache_folder_is_rebuilt(store, uri):
    cached = store.get_dir(uri)
    for path in sorted(cached.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    cached.rmdir()
    assert contents(store.get_dir(uri)) == FILES


def test_links_folders_and_strays_in_the_cache_are_replaced(store, uri, tmp_path, caplog):
    cached = store.get_dir(uri)
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_bytes(FILES["bundle.json"])  # the right bytes, but not the cache's own file
    (cached / "bundle.json").unlink()
    (cached / "bundle.json").symlink_to(elsewhere)
    (cached / "learner" / "model.txt").unlink()
    (cached / "learner" / "model.txt").mkdir()  # a folder where a file belongs
    (cached / "learner" / "model.txt" / "inside").write_text("x")
    (cached / "extra.py").write_text("import os")
    (cached / "extra").mkdir()
    (cached / "extra" / "more.txt").write_text("x")
    with caplog.at_level(logging.WARNING, logger="modelyard.registry"):
        store.get_dir(uri)
    assert contents(cached) == FILES
    assert elsewhere.read_bytes() == FILES["bundle.json"]  # a link's target is never touched
    assert "link" in caplog.text and "folder" in caplog.text and "extra.py" in caplog.text


def test_a_linked_cache_folder_never_writes_through_the_link(store, uri, tmp_path):
    cached = store.get_dir(uri)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "model.txt").write_bytes(b"someone else's file")
    for name in ("model.txt", "weights.bin"):
        (cached / "learner" / name).unlink()
    (cached / "learner").rmdir()
    (cached / "learner").symlink_to(outside, target_is_directory=True)
    store.get_dir(uri)
    assert contents(cached) == FILES
    assert contents(outside) == {"model.txt": b"someone else's file"}


def test_a_cache_entry_that_is_a_file_is_rebuilt(store, uri):
    cached = store.get_dir(uri)
    for path in sorted(cached.rglob("*"), reverse=True):
        path.rmdir() if path.is_dir() else path.unlink()
    cached.rmdir()
    cached.write_text("not a folder")
    assert contents(store.get_dir(uri)) == FILES


def test_a_good_cache_copy_is_served_even_when_an_object_is_corrupt(store, uri):
    store.get_dir(uri)  # the cache copy: verified against the tree when made, and again now
    overwrite(object_of(store, "learner/model.txt"), b"rotten")
    assert contents(store.get_dir(uri)) == FILES


@pytest.mark.parametrize("cache", ["absent", "edited"])
def test_a_corrupt_object_is_an_error_and_nothing_is_rewritten(store, uri, tmp_path, cache):
    if cache == "edited":
        overwrite(store.get_dir(uri) / "learner" / "weights.bin", b"edited")
    overwrite(object_of(store, "learner/weights.bin"), b"rotten")
    objects = contents(store.root / "objects")
    with pytest.raises(IntegrityError, match="'learner/weights.bin'.*corrupt") as err:
        store.get_dir(uri)
    assert "backup" in err.value.hint
    assert contents(store.root / "objects") == objects  # the store is never "healed" by guessing
    with pytest.raises(IntegrityError, match="corrupt"):
        store.get_dir(uri, tmp_path / "out")


def test_a_missing_object_is_not_found(store, uri):
    cached = store.get_dir(uri)
    (cached / "bundle.json").unlink()
    object_of(store, "bundle.json").unlink()
    with pytest.raises(NotFound, match="'bundle.json'.*not in the artifact store"):
        store.get_dir(uri)


def test_no_temporary_files_are_left_behind(store, uri):
    cached = store.get_dir(uri)
    overwrite(cached / "bundle.json", b"edited")
    store.get_dir(uri)
    assert not list(store.root.rglob(".tmp-*"))
