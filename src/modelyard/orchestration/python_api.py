"""``modelyard.train``: the CLI's ``modelyard train`` as one Python call.

The arguments become the same spec mapping the CLI builds from its flags, validated once here
(``validate_spec``); every default comes from the spec models, none from this module. The rows can
be a DataFrame (the spec's source is then the in-memory frame), a path, or the spec's own source.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from modelyard.errors import SpecError
from modelyard.orchestration.results import TrainResult
from modelyard.registry.registry import Registry
from modelyard.settings import Settings, load_settings
from modelyard.spec.load import read_spec_file, validate_spec
from modelyard.spec.models import DATAFRAME, Spec

SPEC_SUFFIXES = (".yaml", ".yml")


def train(
    data: pd.DataFrame | str | Path | None = None,
    *,
    target: str | None = None,
    model: str | None = None,
    params: Mapping[str, Any] | None = None,
    time_budget: float | None = None,
    max_trials: int | None = None,
    metric: str | None = None,
    learners: Sequence[str] | None = None,
    spec: Spec | Mapping[str, Any] | str | Path | None = None,
    name: str | None = None,
    task: str | None = None,
    seed: int | None = None,
    parallel: int | str | None = None,
    deploy: str | None = None,
    max_latency_ms: float | None = None,
    register: bool = True,
    resume: str | None = None,
    home: str | Path | None = None,
    db: str | None = None,
    on_step: Callable[[str], None] | None = None,
) -> Result:
    """Train, evaluate once on the test rows, and (by default) register a model version.

    Parameters: ``data`` a DataFrame, a path to a file ``modelyard train`` reads (csv, parquet,
    ...) or a spec .yaml, or None when ``spec`` names the source; ``target`` the column to
    predict; ``model`` one learner to train (``params`` its hyperparameters) or ``time_budget``
    seconds / ``max_trials`` trials of a search (over ``learners``, optimising ``metric``,
    ``parallel`` trials at once: a number or 'auto'; ``deploy`` 'refit' or 'bagged';
    ``max_latency_ms`` the chosen model's single-row p99 limit);
    ``spec`` a spec (mapping, YAML path or ``Spec``) the other arguments override, as the CLI's
    flags override a spec file; ``name`` the model name (default: from the data and target);
    ``register`` False to store the run without a version; ``resume`` a run id (or a unique
    prefix) of a killed or failed run to continue, instead of data and spec; ``home``/``db``
    the store (default: ``MODELYARD_HOME`` and ``MODELYARD_DB``, as for the CLI); ``on_step``
    receives each step's name.

    Returns a ``Result``: ``model`` (predict, predict_proba), ``metrics["test"]``,
    ``leaderboard()``, ``register(name, alias=)``, and the run's ids and report paths.
    """
    settings = load_settings(None if home is None else str(home), db)
    if resume is not None:
        given = [k for k, v in {"data": data, "spec": spec, "target": target, "model": model,
                                "time_budget": time_budget}.items() if v is not None]
        if given:
            # hint: python-api: only code that calls modelyard directly meets it
            raise SpecError(f"resume continues a run with its own spec and data; "
                            f"{', '.join(given)} cannot change it",
                            hint=f"train(resume={resume!r}) alone, or train anew without resume")
        return run_spec(None, settings, resume=resume, register=register, on_step=on_step)
    raw = _raw_spec(data, spec)
    _override(raw, target=target, name=name, task=task, seed=seed)
    notes = apply_model_args(raw, model, params)
    apply_search_args(raw, time_budget=time_budget, max_trials=max_trials, metric=metric,
                      learners=list(learners) if learners is not None else None,
                      parallel=parallel, deploy=deploy, max_latency_ms=max_latency_ms)
    frame = data if isinstance(data, pd.DataFrame) else None
    result = run_spec(raw, settings, frame=frame, register=register, on_step=on_step)
    result.notes = (*notes, *result.notes)  # what the arguments replaced in the spec
    return result


def run_spec(raw: Mapping[str, Any] | None, settings: Settings, *,
             frame: pd.DataFrame | None = None, resume: str | None = None,
             register: bool = True, on_step: Callable[[str], None] | None = None,
             verbose: bool = False) -> Result:
    """Validate the spec mapping ``raw`` (the one validation, at the edge) and run it, or
    continue the run ``resume``: what ``modelyard.train`` and ``modelyard train`` both call."""
    checked = None if raw is None else validate_spec(dict(raw))
    from modelyard.pipeline import train as run  # the training stack loads only to train

    result = run(checked, settings, resume=resume, on_step=on_step or _quiet, verbose=verbose,
                 frame=frame, register=register)
    return Result(result, settings)


def apply_model_args(raw: dict[str, Any], model: str | None,
                     params: Mapping[str, Any] | None) -> list[str]:
    """Put ``model`` and ``params`` over ``raw['model']`` (the CLI's --model and --param);
    returns notes on what they replaced.

    A ``model`` that changes the spec's learner drops the spec's params (they belong to the other
    learner) and says so. Without a learner anywhere, the spec's default learner applies.
    """
    if model is None and not params:
        return []
    current = raw.get("model")
    section = {"learner": current} if isinstance(current, str) else dict(current or {})
    notes = []
    before = section.get("learner")
    if model is not None and before not in (None, model) and section.get("params"):
        dropped = ", ".join(sorted(section["params"]))
        notes.append(f"model {model} replaces the spec's learner {before}: its params "
                     f"({dropped}) were left out")
        section["params"] = {}
    if model is not None:
        section["learner"] = model
    section["params"] = {**dict(section.get("params") or {}), **dict(params or {})}
    raw["model"] = section
    return notes


def apply_search_args(raw: dict[str, Any], **flags: Any) -> None:
    """Put the search arguments given (not None) over the spec's ``search`` section."""
    given = {k: v for k, v in flags.items() if v is not None}
    if given:
        raw["search"] = {**dict(raw.get("search") or {}), **given}


def _quiet(_: str) -> None:
    return None


def _raw_spec(data: Any, spec: Any) -> dict[str, Any]:
    """The spec mapping ``data`` and ``spec`` make (not yet validated)."""
    if isinstance(data, str | Path) and Path(data).suffix.lower() in SPEC_SUFFIXES:
        if spec is not None:
            # hint: python-api: only code that calls modelyard directly meets it
            raise SpecError("both data (a spec file) and spec were given",
                            hint="pass the spec once: train(spec='churn.yaml')")
        data, spec = None, data
    if isinstance(spec, Spec):
        raw = spec.model_dump(mode="json", exclude_unset=True)
    elif isinstance(spec, str | Path):
        raw = read_spec_file(spec)
    elif isinstance(spec, Mapping):
        raw = _copy(spec)
    elif spec is None:
        raw = {}
    else:
        # hint: python-api: only code that calls modelyard directly meets it
        raise SpecError(f"spec must be a mapping, a path to a YAML spec or a Spec, received "
                        f"{type(spec).__name__}", hint="e.g. spec={'data': {'target': 'Churn'}}")
    section = raw.setdefault("data", {})
    if not isinstance(section, dict):
        raise SpecError("the 'data' section must be a mapping", hint="indent its keys under data:")
    has_source = bool(section.get("source"))
    if data is None and not has_source:
        # hint: python-api: only code that calls modelyard directly meets it
        raise SpecError("nothing to train on: give data (a DataFrame or a file path) or a spec "
                        "whose data.source names the rows",
                        hint="e.g. modelyard.train('churn.csv', target='Churn')")
    if data is not None and has_source:
        # hint: python-api: only code that calls modelyard directly meets it
        raise SpecError("both data and the spec's data.source were given: which rows to train on "
                        "is ambiguous", hint="drop data.source from the spec, or the data argument")
    if isinstance(data, pd.DataFrame):
        section["source"] = {"format": DATAFRAME}
    elif isinstance(data, str | Path):
        section["source"] = {"url": str(data)} if "://" in str(data) else {"path": str(data)}
    elif data is not None:
        # hint: python-api: only code that calls modelyard directly meets it
        raise SpecError(f"data must be a pandas DataFrame or a file path, received "
                        f"{type(data).__name__}", hint="e.g. pandas.read_csv(path), or the path")
    return raw


def _copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    return value


def _override(raw: dict[str, Any], *, target, name, task, seed) -> None:
    """Put the data and run arguments over the spec, as the CLI's flags go over a spec file."""
    if target is not None:
        raw["data"]["target"] = target
    if name is not None:
        raw["name"] = name
    if task is not None:
        raw["task"] = task
    if seed is not None:
        raw["seed"] = seed


class Result(TrainResult):
    """A ``TrainResult`` that can register its model afterwards (``register``)."""

    def __init__(self, result: TrainResult, settings: Settings) -> None:
        super().__init__(**{f: getattr(result, f) for f in result.__dataclass_fields__})
        self._settings = settings

    def register(self, name: str | None = None, *, alias: str | None = None) -> str:
        """Register this run's model, and point ``alias`` at it; returns ``'name:version'``.

        Not yet registered (``register=False``): registers it as ``name`` (default: the run's
        model name). Already registered: ``name`` differing from ``model_name`` registers the
        same artifact under that name too; otherwise nothing new is registered. ``alias``
        moves that alias to the version, audited as ``modelyard models promote`` is.
        """
        name = name or self.model_name
        with Registry.open(self._settings) as registry:
            store = registry.store
            if self.version is None or name != self.model_name:
                self.version = self.registration.register(store, name)
                self.model_name = name
                info = store.get_run(self.run_id)
                record = dict(info.data.get("result") or {})
                store.set_run_data(self.run_id, result={**record, "model": name,
                                                        "version": self.version})
            if alias is not None:
                store.set_alias(name, alias, self.version, actor=getpass.getuser())
        return f"{name}:{self.version}"
