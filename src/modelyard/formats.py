"""The table of safe model formats: name -> loader(path) -> object (layer 0).

It sits below everything so that both sides can reach it without reaching each other: the model
layer registers how to read what it saves (``modelyard.model`` registers 'modelyard.bundle' and
'modelyard.ensemble' when imported), and the registry, which stores bytes and imports neither
``learners`` nor ``model``, loads a version through the name recorded with it. A loader must read
only data formats (JSON, native model text, safetensors, ...) and never unpickle.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from modelyard.errors import Conflict, RegistryError, did_you_mean

Loader = Callable[[Path], Any]

_FORMATS: dict[str, Loader] = {}


def register_format(name: str, loader: Loader, *, replace: bool = False) -> None:
    """Add a format. Registering the same loader again is a no-op; another loader for a taken
    name is a Conflict unless ``replace=True``."""
    if not isinstance(name, str) or not name.strip():
        raise RegistryError(
            f"format name must be non-empty text, received {name!r}",
            hint="name formats after their owner, e.g. 'modelyard.bundle'",
        )
    if not callable(loader):
        raise RegistryError(
            f"loader for format {name!r} must be callable as loader(path), "
            f"received {type(loader).__name__}",
            hint="pass a function or a classmethod such as ModelBundle.load",
        )
    current = _FORMATS.get(name)
    if current is not None and current != loader and not replace:
        raise Conflict(
            f"format {name!r} is registered already (loader {_describe(current)})",
            hint="pick another name, or pass replace=True to swap the loader on purpose",
        )
    _FORMATS[name] = loader


def unregister_format(name: str) -> None:
    """Remove a format (for plugins being unloaded, and tests)."""
    _lookup(name)
    del _FORMATS[name]


def registered_formats() -> list[str]:
    """The names of every registered format, sorted."""
    return sorted(_FORMATS)


def load_artifact(format_name: str, path: Path) -> Any:
    """Load what is stored at ``path`` with the loader registered for ``format_name``."""
    return _lookup(format_name)(Path(path))


def _lookup(name: str) -> Loader:
    loader = _FORMATS.get(name)
    if loader is None:
        known = registered_formats()
        raise RegistryError(
            f"unknown model format {name!r}; registered formats: "
            + (", ".join(known) if known else "none"),
            hint=did_you_mean(name, known)
            if known
            else "import the module that registers it (e.g. modelyard.model) first",
        )
    return loader


def _describe(loader: Loader) -> str:
    module = getattr(loader, "__module__", "?")
    return f"{module}.{getattr(loader, '__qualname__', repr(loader))}"
