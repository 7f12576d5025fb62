"""The models a server answers with, and hot swap.

A *slot* is one served reference ('churn', 'churn@production', 'churn:3') and the loaded version
(``Served``) it currently answers with. Requests read ``slot.current`` once and keep that object to
the end, so a swap (one attribute assignment, atomic in CPython) never fails or mixes up an
in-flight request: the old version finishes what it started, new requests get the new one.

``refresh()`` (run every ``swap_interval_s`` by the app) re-resolves each slot whose reference can
move (not 'name:3'); when it names another version, that version is loaded next to the old one
and swapped in. Slots come from ``ServeConfig.models`` (or every registered model), plus references
to a served model that requests ask for ('churn@staging'), loaded on first use and kept in a
small LRU. Loading, resolving and refreshing block (database, disk): call them from a thread.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError

from modelyard.errors import ModelyardError, NotFound, RegistryError, did_you_mean
from modelyard.learners.bundle import ModelBundle
from modelyard.learners.formats import MODEL_TYPES  # also registers the model formats
from modelyard.registry.records import VersionInfo
from modelyard.registry.registry import Registry
from modelyard.serving.config import ServeConfig
from modelyard.serving.errors import NotReady, UnknownModel
from modelyard.serving.metrics import ServingMetrics
from modelyard.serving.schemas import RequestSchema

log = logging.getLogger("modelyard.serving")

_REF = re.compile(r"(?P<name>[^@:]+)(?P<rest>[@:].*)?")


def model_name(ref: str) -> str:
    """The model name a reference starts with ('churn@production' -> 'churn')."""
    match = _REF.fullmatch(ref.strip())
    return match["name"] if match else ref


def is_pinned(ref: str) -> bool:
    """Whether a reference names a fixed version ('churn:3'), which never moves."""
    return ":" in ref


@dataclass(frozen=True)
class Served:
    """One loaded model version and its request schema."""

    version: VersionInfo
    bundle: ModelBundle
    request: RequestSchema
    loaded_at: datetime
    load_seconds: float

    @property
    def key(self) -> tuple[str, int]:
        return self.version.model, self.version.version


@dataclass
class Slot:
    """A served reference and the version it answers with now (None until loaded)."""

    ref: str
    configured: bool  # from ServeConfig (kept) or asked for by a request (LRU)
    current: Served | None = None
    error: str | None = None  # why the last load or refresh failed
    last_used: float = field(default_factory=time.monotonic)


class ModelPool:
    """Slots, the loaded versions they share, loading and hot swap."""

    def __init__(self, registry: Registry, config: ServeConfig, metrics: ServingMetrics) -> None:
        self.registry = registry
        self.config = config
        self.metrics = metrics
        self.slots: dict[str, Slot] = {ref: Slot(ref, True) for ref in config.models}
        self.generation = 0  # bumped on every change of what is served (OpenAPI is rebuilt)
        self._loaded: dict[tuple[str, int], Served] = {}
        self._lock = threading.RLock()
        self._load_lock = threading.Lock()  # one on-demand load at a time
        self.ready = False

    # -- requests ---------------------------------------------------------------------------------
    def lookup(self, ref: str) -> Served | None:
        """The version a served reference answers with now, without blocking; None to load."""
        slot = self.slots.get(ref)
        if slot is None or slot.current is None:
            return None
        slot.last_used = time.monotonic()
        return slot.current

    def get(self, ref: str) -> Served:
        """The version ``ref`` answers with, loading it first when needed (blocking)."""
        served = self.lookup(ref)
        if served is not None:
            return served
        self._check_servable(ref)
        with self._load_lock:
            served = self.lookup(ref)  # another thread may have loaded it meanwhile
            if served is not None:
                return served
            version = self._resolve(ref)
            served = self._load(version)
            with self._lock:
                slot = self.slots.get(ref)
                if slot is None:
                    slot = self.slots[ref] = Slot(ref, configured=False)
                    self._evict()
                slot.current, slot.error = served, None
                self._changed(ref, served)
            return served

    def served(self) -> list[tuple[str, Served]]:
        """(reference, version) for every loaded slot, configured ones first."""
        slots = sorted(self.snapshot(), key=lambda s: (not s.configured, s.ref))
        return [(s.ref, s.current) for s in slots if s.current is not None]

    def snapshot(self) -> list[Slot]:
        """The slots as a list (taken in one step: other threads may add or evict slots)."""
        return list(self.slots.values())

    def errors(self) -> dict[str, str]:
        """Why each slot that has no version yet could not be loaded."""
        return {s.ref: s.error for s in self.snapshot() if s.error and s.current is None}

    # -- start and hot swap -----------------------------------------------------------------------
    def start(self) -> None:
        """Load every configured reference (or every registered model); marks the pool ready."""
        self.refresh()

    def refresh(self) -> list[tuple[str, int, int]]:
        """Re-resolve every slot; swap in moved versions. Returns (ref, old, new) per swap."""
        if not self.config.models:
            self._discover()
        swaps = []
        for slot in self.snapshot():
            if slot.current is not None and is_pinned(slot.ref):
                continue
            try:
                version = self._resolve(slot.ref)
                target = (version.model, version.version)
                if slot.current is not None and slot.current.key == target:
                    continue
                served = self._load(version)
            except Exception as err:  # noqa: BLE001 - one broken version must not stop the round
                slot.error = str(err) if isinstance(err, ModelyardError) else repr(err)
                self.metrics.swap_errors.labels(slot.ref).inc()
                log.warning("cannot refresh %s: %s", slot.ref, slot.error)
                continue
            old = slot.current.version.version if slot.current else 0
            with self._lock:
                slot.current, slot.error = served, None  # the swap: one assignment
                self._changed(slot.ref, served)
            if old:
                self.metrics.swaps.labels(slot.ref).inc()
                log.info("%s now answers with version %d (was %d)", slot.ref, version.version, old)
                swaps.append((slot.ref, old, version.version))
        self._forget_unused()
        configured = [s for s in self.snapshot() if s.configured]
        # sticky: a model added later that fails to load must not take a serving server out
        self.ready = self.ready or (bool(configured) and all(s.current for s in configured))
        return swaps

    # -- helpers ----------------------------------------------------------------------------------
    def _discover(self) -> None:
        """Serve-all mode: add a slot for every registered model not served yet."""
        offset = 0
        while True:
            page = self.registry.store.list_models(limit=500, offset=offset)
            for info in page:
                if info.name not in self.slots and info.latest_version is not None:
                    with self._lock:
                        self.slots[info.name] = Slot(info.name, configured=True)
            if not page.has_more:
                return
            offset += len(page)

    def _check_servable(self, ref: str) -> None:
        """With models configured, only references to those models may be loaded on demand."""
        if not self.config.models:
            return
        name = model_name(ref)
        names = sorted({model_name(r) for r in self.config.models})
        if name not in names:
            raise UnknownModel(
                f"this server does not serve model {name!r}; it serves {', '.join(names)}",
                hint=did_you_mean(name, names),
            )

    def _resolve(self, ref: str) -> VersionInfo:
        try:
            return self.registry.store.resolve(ref)
        except NotFound:
            raise
        except RegistryError as err:  # the reference itself is malformed: nothing is there
            raise UnknownModel(err.message, hint=err.hint) from err
        except SQLAlchemyError as err:
            raise NotReady(
                f"cannot look up {ref!r}: the metadata store did not answer ({type(err).__name__})",
                hint="check that the database is reachable; the server retries by itself",
            ) from err

    def _load(self, version: VersionInfo) -> Served:
        key = (version.model, version.version)
        served = self._loaded.get(key)
        if served is not None:
            return served
        started = time.perf_counter()
        try:
            loaded = self.registry.load(version.ref)
        except SQLAlchemyError as err:
            raise NotReady(
                f"cannot load {version.ref}: the metadata store did not answer",
                hint="check that the database is reachable; the server retries by itself",
            ) from err
        if not isinstance(loaded.model, MODEL_TYPES):
            raise NotReady(
                f"{version.ref} is a {type(loaded.model).__name__}, which the server cannot serve",
                hint="serve models saved by `modelyard train`",
            )
        request = RequestSchema.for_model(version.model, version.version, loaded.model.schema)
        seconds = time.perf_counter() - started
        served = Served(version, loaded.model, request, datetime.now(UTC), seconds)
        self.metrics.load_seconds.labels(version.model, str(version.version)).observe(seconds)
        with self._lock:
            return self._loaded.setdefault(key, served)

    def _changed(self, ref: str, served: Served) -> None:
        self.metrics.served_version.labels(ref).set(served.version.version)
        self.generation += 1

    def _evict(self) -> None:
        """Drop the least recently used on-demand slots beyond ``max_dynamic_slots``."""
        dynamic = sorted((s for s in self.snapshot() if not s.configured),
                         key=lambda s: s.last_used)  # fmt: skip
        for slot in dynamic[: max(0, len(dynamic) - self.config.max_dynamic_slots)]:
            del self.slots[slot.ref]
            try:
                self.metrics.served_version.remove(slot.ref)
            except KeyError:
                pass  # never reported

    def _forget_unused(self) -> None:
        """Release loaded versions no slot answers with any more (after swaps and evictions)."""
        with self._lock:
            used = {s.current.key for s in self.snapshot() if s.current is not None}
            for key in [k for k in self._loaded if k not in used]:
                del self._loaded[key]
