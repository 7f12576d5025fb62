"""Content-addressed artifact store: every file is kept under its SHA-256 and verified on read.

Layout under ``root``::

    objects/ab/cdef...   the bytes of a file (or of a tree object) whose sha256 is "abcdef..."
    cache/<hex>/...      directories materialised by get_dir: a cache, never the truth

A directory is stored as its files plus a tree object: canonical JSON listing each relative path
with its hash. The tree's own hash is the directory's uri. Every write goes to a temporary file
in the target's folder and is moved into place with os.replace, so a reader never sees half a file.

The objects are the truth; the cache is rebuilt from them. Each read of a cached directory checks
every listed file against the verified tree: a missing file is copied in again, a file whose bytes
differ (or a link, or a folder in its place) is replaced and the corruption logged, and anything
the tree does not list is removed. Only a missing or corrupt *object* makes a directory unreadable.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from modelyard.errors import Conflict, IntegrityError, NotFound, RegistryError
from modelyard.hashing import sha256_file

log = logging.getLogger("modelyard.registry")
URI_PREFIX = "sha256:"
TREE_KIND = "modelyard.tree"
TREE_VERSION = 1
BLOCK = 1 << 20  # hash and copy in 1 MiB blocks
_URI = re.compile(r"sha256:([0-9a-f]{64})")
RESTORE_HINT = (
    "restore the artifact store from a backup or register the model again; "
    "never edit files under {root}"
)


class ArtifactStore:
    """Files and directories by SHA-256 under ``root``. The constructor touches nothing on disk."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"ArtifactStore({str(self.root)!r})"

    # -- writing ------------------------------------------------------------------------------
    def put_file(self, path: Path) -> str:
        """Store one file; returns its uri ``sha256:<hex>``. Storing the same bytes again: free."""
        path = Path(path)
        if path.is_dir():
            # hint: python-api: only code that calls modelyard directly meets it
            raise RegistryError(
                f"{path} is a directory; put_file stores one file",
                hint="store directories with put_dir",
            )
        if not path.is_file():
            raise NotFound(f"cannot store {path}: no such file", hint="check the path")
        digest, tmp = self._copy_in(path)
        self._commit(tmp, digest)
        return URI_PREFIX + digest

    def put_dir(self, path: Path) -> str:
        """Store every file under a directory plus a tree object; returns the tree's uri."""
        path = Path(path)
        if not path.is_dir():
            # hint: python-api: only code that calls modelyard directly meets it
            raise NotFound(
                f"cannot store {path}: no such directory",
                hint="pass the directory the model was saved to; use put_file for a single file",
            )
        files = {
            PurePosixPath(p.relative_to(path)).as_posix(): self.put_file(p)
            for p in sorted(path.rglob("*"))
            if p.is_file()
        }
        tree = {"kind": TREE_KIND, "version": TREE_VERSION, "files": files}
        data = json.dumps(tree, sort_keys=True, separators=(",", ":")).encode("utf-8")
        return self.put_bytes(data)

    def put_bytes(self, data: bytes) -> str:
        """Store bytes held in memory; returns their uri."""
        digest = hashlib.sha256(data).hexdigest()
        objects = self.root / "objects"
        objects.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=objects, prefix=".tmp-")
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        self._commit(Path(tmp), digest)
        return URI_PREFIX + digest

    # -- reading ------------------------------------------------------------------------------
    def exists(self, uri: str) -> bool:
        """Whether the store holds the object (without verifying it)."""
        return self._object_path(parse_uri(uri)).is_file()

    def get_file(self, uri: str) -> Path:
        """The stored file for ``uri``, after checking its bytes still hash to it.

        The path points into the store: read it, never write to it.
        """
        digest = parse_uri(uri)
        path = self._object_path(digest)
        self._verify(path, digest, what=f"artifact {uri}")
        return path

    def get_dir(self, uri: str, dest: Path | None = None) -> Path:
        """Materialise the directory ``uri`` in ``dest`` (which must be new or empty) or in the
        store's cache, verifying every file; returns where it is."""
        tree = self._tree(uri)
        if dest is None:
            return self._cached_dir(uri, tree)
        dest = Path(dest)
        if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
            raise Conflict(
                f"cannot materialise {uri} in {dest}: it exists and is not an empty directory",
                hint="pass a new or empty directory, or dest=None to use the store's cache",
            )
        self._materialise(uri, tree, dest)
        return dest

    # -- internals ----------------------------------------------------------------------------
    def _object_path(self, digest: str) -> Path:
        return self.root / "objects" / digest[:2] / digest[2:]

    def _copy_in(self, path: Path) -> tuple[str, Path]:
        """Copy ``path`` to a temporary file in the objects folder while hashing it."""
        objects = self.root / "objects"
        objects.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=objects, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out, path.open("rb") as src:
                for block in iter(lambda: src.read(BLOCK), b""):
                    digest.update(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest.hexdigest(), Path(tmp)

    def _commit(self, tmp: Path, digest: str) -> None:
        """Move a finished temporary file into place. The temporary file lies in ``objects/``,
        on the same file system as its target, so os.replace is an atomic rename."""
        target = self._object_path(digest)
        if target.is_file():
            tmp.unlink(missing_ok=True)  # already stored: content addressing dedupes
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(tmp, 0o444)  # stored objects are never edited in place
        os.replace(tmp, target)

    def _verify(self, path: Path, digest: str, *, what: str) -> None:
        if not path.is_file():
            raise NotFound(
                f"{what} is not in the artifact store at {self.root}",
                hint="restore the artifact store from a backup or register the model again; if it "
                "was registered under another MODELYARD_HOME, point MODELYARD_HOME there",
            )
        actual = sha256_file(path)
        if actual != digest:
            raise IntegrityError(
                f"{what} is corrupt: its bytes hash to sha256:{actual[:12]}..., "
                f"expected sha256:{digest[:12]}...",
                hint=RESTORE_HINT.format(root=self.root),
            )

    def _tree(self, uri: str) -> dict[str, str]:
        """The verified file list of a directory uri."""
        path = self.get_file(uri)
        try:
            tree: Any = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            tree = None
        if not isinstance(tree, dict) or tree.get("kind") != TREE_KIND:
            # hint: python-api: only code that calls modelyard directly meets it
            raise RegistryError(
                f"artifact {uri} is a file, not a directory",
                hint="read single files with get_file; get_dir takes what put_dir returned",
            )
        files = tree.get("files")
        if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
            raise IntegrityError(
                f"directory {uri} has a malformed tree object",
                hint=RESTORE_HINT.format(root=self.root),
            )
        for rel in files:
            parts = PurePosixPath(rel).parts
            if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
                raise IntegrityError(
                    f"directory {uri} lists an unsafe path {rel!r}",
                    hint="the tree object was tampered with; "
                    + RESTORE_HINT.format(root=self.root),
                )
        return files

    def _materialise(self, uri: str, files: dict[str, str], dest: Path) -> None:
        for rel, file_uri in sorted(files.items()):
            target = dest.joinpath(*PurePosixPath(rel).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            self._install(parse_uri(file_uri), target, what=f"file {rel!r} of directory {uri}")

    def _install(
        self, digest: str, target: Path, *, what: str, tmp_dir: Path | None = None
    ) -> None:
        """Copy the object ``digest`` to ``target`` (atomically, replacing what is there), hashing
        the bytes as they are copied: what lands in ``target`` is exactly what was verified.
        The temporary copy is made in ``tmp_dir`` (default: ``target``'s folder), which must be on
        the same file system."""
        source = self._object_path(digest)
        if not source.is_file():
            self._verify(source, digest, what=what)  # raises NotFound, naming the object
        fd, tmp = tempfile.mkstemp(dir=tmp_dir or target.parent, prefix=".tmp-")
        try:
            hashed = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, source.open("rb") as src:
                for block in iter(lambda: src.read(BLOCK), b""):
                    hashed.update(block)
                    out.write(block)
            if hashed.hexdigest() != digest:
                raise IntegrityError(
                    f"{what} is corrupt: its bytes hash to sha256:{hashed.hexdigest()[:12]}..., "
                    f"expected sha256:{digest[:12]}...",
                    hint=RESTORE_HINT.format(root=self.root),
                )
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)  # a folder where the file belongs
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _cached_dir(self, uri: str, files: dict[str, str]) -> Path:
        """The cache copy of a directory: built atomically when absent, repaired file by file from
        the verified objects when anything in it differs from the tree."""
        cached = self.root / "cache" / parse_uri(uri)
        if cached.is_symlink() or (cached.exists() and not cached.is_dir()):
            log.warning("the cache entry of %s was not a folder; rebuilding it from the stored "
                        "objects", uri)  # fmt: skip
            _remove(cached)
        if not cached.is_dir():
            self._build_cache(uri, files, cached)
        else:
            self._repair_cache(uri, files, cached)
        return cached

    def _build_cache(self, uri: str, files: dict[str, str], cached: Path) -> None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(dir=cached.parent, prefix=".tmp-"))
        try:
            self._materialise(uri, files, building)
            os.replace(building, cached)
        except OSError:
            if not cached.is_dir():  # another process did not win the race: a real failure
                raise
            self._repair_cache(uri, files, cached)  # theirs: checked like any cached copy
        finally:
            shutil.rmtree(building, ignore_errors=True)

    def _repair_cache(self, uri: str, files: dict[str, str], cached: Path) -> None:
        """Check each listed file of a cached directory; copy in again what is missing or wrong,
        remove what the tree does not list. Each fix is an atomic rename of a verified copy, so
        processes repairing the same copy at once write the same bytes and readers never see half
        a file. One scan of the folder (links not followed) gives every entry's kind."""
        entries = _scan(cached)
        for rel, file_uri in sorted(files.items()):
            digest = parse_uri(file_uri)
            problem = _cache_problem(entries, rel, os.path.join(cached, rel), digest)
            if problem is None:
                continue
            path = cached.joinpath(*PurePosixPath(rel).parts)
            what = f"file {rel!r} of directory {uri}"
            if problem == MISSING:  # a cache may be pruned: not worth a warning
                log.info("the cached copy of %s was missing; copied it again from the stored "
                         "object", what)  # fmt: skip
            else:
                log.warning("the cached copy of %s in %s %s; replaced it with the verified stored "
                            "object", what, cached, problem)  # fmt: skip
            _make_parents(cached, path)
            # the temporary copy lies outside the cached folder, which holds only listed files
            self._install(digest, path, what=what, tmp_dir=cached.parent)
        folders = {folder for rel in files for folder in _folders_of(rel)} | {""}
        # the topmost unlisted entries: what lies below them (or below a replaced file) goes too
        stray = [rel for rel in entries if rel not in files and rel not in folders
                 and rel.rpartition("/")[0] in folders]  # fmt: skip
        if stray:
            log.warning("the cached copy of directory %s in %s held %d entries its tree does not "
                        "list (%s); removed them", uri, cached, len(stray),
                        ", ".join(sorted(stray)[:5]))  # fmt: skip
            for rel in stray:
                _remove(cached.joinpath(*PurePosixPath(rel).parts))


MISSING = "missing"


def _scan(folder: Path) -> dict[str, str]:
    """Every entry under ``folder`` by relative POSIX path: 'file', 'folder', 'link' or 'other'
    (links are listed, never followed)."""
    found: dict[str, str] = {}
    pending = [(str(folder), "")]
    while pending:
        here, prefix = pending.pop()
        with os.scandir(here) as listing:
            for entry in listing:
                rel = prefix + entry.name
                if entry.is_symlink():
                    found[rel] = "link"
                elif entry.is_dir(follow_symlinks=False):
                    found[rel] = "folder"
                    pending.append((entry.path, rel + "/"))
                else:
                    found[rel] = "file" if entry.is_file(follow_symlinks=False) else "other"
    return found


def _folders_of(rel: str) -> list[str]:
    """The folders a relative POSIX path lies in, outermost first ('a/b/c' -> ['a', 'a/b'])."""
    parts = rel.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _cache_problem(entries: dict[str, str], rel: str, path: str, digest: str) -> str | None:
    """What is wrong with one cached file (None when it verifies): MISSING, or the words that
    describe the corruption for the log."""
    for folder in _folders_of(rel):
        kind = entries.get(folder)
        if kind is None:
            return MISSING  # its folder is gone too
        if kind != "folder":
            return f"lay under {folder!r}, which was a {kind}, not a folder"
    kind = entries.get(rel)
    if kind is None:
        return MISSING
    if kind != "file":
        return f"was a {kind}, not a file"
    actual = sha256_file(path)
    if actual != digest:
        return f"was corrupt (its bytes hash to sha256:{actual[:12]}..., " \
            f"expected sha256:{digest[:12]}...)"
    return None


def _make_parents(cached: Path, path: Path) -> None:
    """Make the folders above ``path`` inside ``cached``, replacing links or files in their way."""
    for parent in reversed(path.relative_to(cached).parents[:-1]):
        folder = cached / parent
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            _remove(folder)
        folder.mkdir(exist_ok=True)


def _remove(path: Path) -> None:
    """Delete a file, link or folder (a folder with everything in it; links are not followed)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)

def parse_uri(uri: object) -> str:
    """The hex digest in ``sha256:<64 hex>``, or RegistryError showing the expected form."""
    match = _URI.fullmatch(uri) if isinstance(uri, str) else None
    if match is None:
        # hint: python-api: only code that calls modelyard directly meets it
        raise RegistryError(
            f"invalid artifact uri {uri!r}: expected 'sha256:' followed by 64 lowercase hex digits",
            hint="pass the uri that put_file or put_dir returned",
        )
    return match[1]

