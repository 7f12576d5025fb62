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

A version that cannot be loaded (its files missing or corrupt in the artifact store) makes only
the references that name it unavailable (503, ``ModelUnavailable``); every other slot keeps
answering. Its failure is remembered, so requests do not re-read a broken artifact, and retried by
later rounds at growing intervals (``RETRY_ROUNDS``). Each failure is logged once, with its cause,
and again only when it changes; a reference that loads again says so.
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
from modelyard.model import MODEL_TYPES, FittedModel, ForecastModel  # registers the formats
from modelyard.registry.records import VersionInfo
from modelyard.registry.registry import Registry
from modelyard.serving.config import ServeConfig
from modelyard.serving.errors import ModelUnavailable, NotReady, UnknownModel
from modelyard.serving.metrics import ServingMetrics
from modelyard.serving.schemas import RequestSchema

log = logging.getLogger("modelyard.serving")

_REF = re.compile(r"(?P<name>[^@:]+)(?P<rest>[@:].*)?")
ROW_MS_WEIGHT = 0.1  # weight of the newest one-record timing in RowTiming.ms
RETRY_ROUNDS = (1, 2, 4, 8, 15)  # refresh rounds before retrying a broken version, by failures
UNAVAILABLE_HINT = (
    "this version cannot answer until the server's operator restores its files (the server log "
    "says what is wrong); the server's other models keep answering: GET /readyz lists them"
)


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
    bundle: FittedModel  # a ModelBundle or an EnsembleBundle (or a ForecastModel)
    request: RequestSchema
    loaded_at: datetime
    load_seconds: float
    row: RowTiming = field(default_factory=lambda: RowTiming(), compare=False)

    @property
    def key(self) -> tuple[str, int]:
        return self.version.model, self.version.version


class RowTiming:
    """How long a served version's one-record answers take here: ``ms``, an exponential moving
    average (None before the first), so a model that slows down (memory pressure, a busy
    machine) goes back to the thread pool. A lost update between threads only skips a sample."""

    __slots__ = ("ms",)

    def __init__(self) -> None:
        self.ms: float | None = None

    def observe(self, seconds: float) -> None:
        ms = seconds * 1000.0
        self.ms = ms if self.ms is None else self.ms + ROW_MS_WEIGHT * (ms - self.ms)


@dataclass
class Slot:
    """A served reference and the version it answers with now (None until loaded)."""

    ref: str
    configured: bool  # from ServeConfig (kept) or asked for by a request (LRU)
    current: Served | None = None
    failure: ModelyardError | None = None  # why the last load or refresh failed (None: it did not)
    last_used: float = field(default_factory=time.monotonic)


@dataclass
class Broken:
    """A version that failed to load: the error requests get until round ``retry_at`` retries."""

    error: ModelUnavailable
    failures: int
    retry_at: int


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
        self._broken: dict[tuple[str, int], Broken] = {}
        self._logged: dict[str, str] = {}  # reference -> the failure last logged for it
        self.rounds = 0  # refresh rounds finished

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
                slot.current, slot.failure = served, None
                self._changed(ref, served)
            return served

    def served(self) -> list[tuple[str, Served]]:
        """(reference, version) for every loaded slot, configured ones first."""
        slots = sorted(self.snapshot(), key=lambda s: (not s.configured, s.ref))
        return [(s.ref, s.current) for s in slots if s.current is not None]

    def snapshot(self) -> list[Slot]:
        """The slots as a list (taken in one step: other threads may add or evict slots)."""
        return list(self.slots.values())

    def failures(self) -> dict[str, ModelyardError]:
        """Why each slot's last load or refresh failed (a slot may still answer with an older
        version), configured slots first."""
        slots = sorted(self.snapshot(), key=lambda s: (not s.configured, s.ref))
        return {s.ref: s.failure for s in slots if s.failure is not None}

    @property
    def started(self) -> bool:
        """Whether the first round of loading has finished (every slot loaded or failed)."""
        return self.rounds > 0

    @property
    def ready(self) -> bool:
        """Whether the server answers: the first round is done and a configured slot answers."""
        return self.started and any(s.current for s in self.snapshot() if s.configured)

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
                    self._recovered(slot)
                    continue
                served = self._load(version)
            except Exception as err:  # noqa: BLE001 - one broken version must not stop the round
                self._failed(slot, err)
                continue
            old = slot.current.version.version if slot.current else 0
            with self._lock:
                slot.current = served  # the swap: one assignment
                self._changed(slot.ref, served)
            self._recovered(slot)
            if old:
                self.metrics.swaps.labels(slot.ref).inc()
                log.info("%s now answers with version %d (was %d)", slot.ref, version.version, old)
                swaps.append((slot.ref, old, version.version))
        self._forget_unused()
        self.rounds += 1
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
        """The loaded version (loading it when needed). A version that failed before raises its
        ModelUnavailable again without touching the store until enough refresh rounds have passed
        (``RETRY_ROUNDS``); then the next caller (a round or a request) tries it again."""
        key = (version.model, version.version)
        served = self._loaded.get(key)
        if served is not None:
            return served
        broken = self._broken.get(key)
        if broken is not None and self.rounds < broken.retry_at:
            raise ModelUnavailable(broken.error.message, hint=broken.error.hint)
        started = time.perf_counter()
        try:
            loaded = self.registry.load(version.ref)
            if not isinstance(loaded.model, (*MODEL_TYPES, ForecastModel)):
                raise ModelUnavailable(
                    f"{version.ref} is a {type(loaded.model).__name__}, which the server cannot "
                    "serve", hint="serve models saved by `modelyard train`",
                )  # fmt: skip
            request = RequestSchema.for_model(version.model, version.version, loaded.model.schema)
        except SQLAlchemyError as err:  # the database, not the version: retried on next use
            raise NotReady(
                f"cannot load {version.ref}: the metadata store did not answer",
                hint="check that the database is reachable; the server retries by itself",
            ) from err
        except Exception as err:
            error = unavailable(version.ref, err)
            failures = broken.failures + 1 if broken else 1
            wait = RETRY_ROUNDS[min(failures, len(RETRY_ROUNDS)) - 1]
            self._broken[key] = Broken(error, failures, self.rounds + wait)
            if broken is None or broken.error.message != error.message:  # new, or changed
                trace = None if isinstance(err, ModelyardError) else err  # unexpected: show where
                text = str(err) if isinstance(err, ModelyardError) else repr(err)
                prefix = f"cannot load {version.ref}: "
                log.warning("%s%s", "" if text.startswith(prefix) else prefix, text, exc_info=trace)
            raise error from err
        if self._broken.pop(key, None) is not None:
            log.info("%s loads again", version.ref)
        seconds = time.perf_counter() - started
        served = Served(version, loaded.model, request, datetime.now(UTC), seconds)
        self.metrics.load_seconds.labels(version.model, str(version.version)).observe(seconds)
        with self._lock:
            return self._loaded.setdefault(key, served)

    def _failed(self, slot: Slot, err: Exception) -> None:
        """Record why a slot could not be (re)loaded; log it the first time and when it changes
        (a version that does not load is logged by ``_load``)."""
        failure = err if isinstance(err, ModelyardError) else unavailable(slot.ref, err)
        slot.failure = failure
        self.metrics.swap_errors.labels(slot.ref).inc()
        if isinstance(err, ModelUnavailable) or self._logged.get(slot.ref) == failure.message:
            return
        self._logged[slot.ref] = failure.message
        trace = None if isinstance(err, ModelyardError) else err  # unexpected: show where
        if slot.current is None:
            log.warning("cannot load %s: %s", slot.ref, err, exc_info=trace)
        else:
            log.warning("cannot refresh %s (still answering with version %d): %s", slot.ref,
                        slot.current.version.version, err, exc_info=trace)  # fmt: skip

    def _recovered(self, slot: Slot) -> None:
        """Forget a slot's failure once it resolves and answers again."""
        slot.failure = None
        if self._logged.pop(slot.ref, None) is not None and slot.current is not None:
            log.info("%s answers again, with version %d", slot.ref, slot.current.version.version)

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


def unavailable(ref: str, err: BaseException) -> ModelUnavailable:
    """What a client is told when version ``ref`` fails to load: the cause in a sentence (the HTTP
    layer takes server paths out of it) and what it can do; the log gets the full cause."""
    if isinstance(err, ModelUnavailable):
        return err
    if isinstance(err, ModelyardError):
        reason = err.message.removeprefix(f"cannot load {ref}: ")
    else:
        reason = f"loading its files failed unexpectedly ({type(err).__name__})"
    return ModelUnavailable(f"model version {ref} is unavailable: {reason}", hint=UNAVAILABLE_HINT)
