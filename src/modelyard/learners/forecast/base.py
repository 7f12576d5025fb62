"""The forecaster contract and registry.

A forecaster is built with the season length and its own parameters (stored verbatim, plain
JSON values), ``fit(panel, horizon)`` learns from a ``data.series.Panel`` and
``predict(panel, horizon, future)`` answers, for every series of ``panel``, the ``horizon``
values after its last point (``future``: the known covariates at those points, by name, one
array per series). ``save(directory)`` writes JSON (and native model files); ``load`` reads
them back: nothing is pickled.

Local statistical forecasters (ETS, Theta) estimate their parameters on the history they are
asked to forecast from, as statsforecast and R's forecast package do: their ``fit`` only checks
and records; a forecast from the same history is the same forecast.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from modelyard.data.series import Panel
from modelyard.errors import SpecError, did_you_mean

FORECASTERS: dict[str, type[Forecaster]] = {}
CONFIG = "forecaster.json"
Future = dict[str, tuple[np.ndarray, ...]]


class Forecaster(ABC):
    name: ClassVar[str] = ""
    cost_hint: ClassVar[float] = 1.0  # relative cost, cheapest first in a search
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, season: int, **params: Any) -> None:
        unknown = sorted(set(params) - set(self.defaults))
        if unknown:
            raise SpecError(f"unknown parameter(s) {unknown} for forecaster {self.name!r}",
                            hint=f"its parameters: {sorted(self.defaults) or 'none'}")
        self.season = int(season)
        self.params = {**self.defaults, **params}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            FORECASTERS[cls.name] = cls

    @abstractmethod
    def fit(self, panel: Panel, horizon: int) -> Forecaster: ...

    @abstractmethod
    def predict(self, panel: Panel, horizon: int,
                future: Future | None = None) -> list[np.ndarray]: ...

    def describe(self) -> str:
        changed = {k: v for k, v in self.params.items() if self.defaults.get(k) != v}
        return self.name + (f" {changed}" if changed else "")

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        config = {"name": self.name, "season": self.season, "params": self.params,
                  "state": self._state()}
        (directory / CONFIG).write_text(json.dumps(config, indent=2), encoding="utf-8")
        self._save_files(directory)

    def _state(self) -> dict[str, Any]:
        """Fitted values kept as JSON (none for local models)."""
        return {}

    def _save_files(self, directory: Path) -> None:
        """Native model files beside the JSON (none by default)."""
        return None

    def _restore(self, state: dict[str, Any], directory: Path) -> None:
        """Read back what ``_state`` and ``_save_files`` wrote."""
        return None


def forecaster_names() -> list[str]:
    return sorted(FORECASTERS)


def get_forecaster(name: str) -> type[Forecaster]:
    if name not in FORECASTERS:
        known = forecaster_names()
        raise SpecError(f"unknown forecaster {name!r}; forecasters: {', '.join(known)}",
                        hint=did_you_mean(name, known))
    return FORECASTERS[name]


def load_forecaster(directory: Path) -> Forecaster:
    config = json.loads((directory / CONFIG).read_text(encoding="utf-8"))
    forecaster = get_forecaster(config["name"])(config["season"], **config["params"])
    forecaster._restore(config["state"], directory)
    return forecaster


def repeat_season(values: np.ndarray, season: int, horizon: int) -> np.ndarray:
    """The last season of ``values`` repeated over ``horizon`` steps (the last value when the
    series is shorter than a season)."""
    m = season if len(values) >= season else 1
    last = values[-m:]
    return np.resize(last, horizon).astype("float64")
