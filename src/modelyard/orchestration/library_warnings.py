"""Library warnings become notes: what each means for the run, never raw text on a terminal.

numpy, pandas, scikit-learn, PyTorch and the boosting libraries warn through Python's
``warnings``. Left alone, each prints a source path, a line number and the library's wording on
the user's terminal, once per place in the code (so a second training in the same process says
nothing). ``LibraryWarnings`` is the one place that catches them around the pipeline's steps:
each distinct warning becomes one note naming the step it came in, what it means for the model,
the library's own words and how often it came; warnings that speak only to developers
(deprecations, performance hints) or that modelyard has already handled are dropped.

``to_terminal`` is the safety net for commands that run no pipeline step: a warning that still
escapes is printed as one ``note:`` line, without paths.
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

MAX_SAID = 160  # characters of the library's own message kept in a note


@dataclass(frozen=True)
class Rule:
    """Warnings of ``category`` whose message matches ``pattern`` mean ``meaning`` (None: drop).

    ``category`` is a warning class, or the name of one (scikit-learn's, which is not imported
    just to read its warnings' names)."""

    category: type[Warning] | str
    pattern: str
    meaning: str | None

    def matches(self, category: type[Warning], message: str) -> bool:
        if isinstance(self.category, str):
            kind = any(c.__name__ == self.category for c in category.__mro__)
        else:
            kind = issubclass(category, self.category)
        return kind and bool(re.search(self.pattern, message, re.IGNORECASE))


RULES: tuple[Rule, ...] = (
    # only for developers: the library will change; nothing is wrong with this model
    Rule(DeprecationWarning, "", None),
    Rule(PendingDeprecationWarning, "", None),
    Rule(FutureWarning, "", None),
    Rule(UserWarning, r"does not have valid feature names|was fitted with(out)? feature names",
         None),  # the learners pass arrays and frames consistently; a naming nicety
    Rule("DataConversionWarning", "", None),  # the target is converted on purpose
    Rule("ConvergenceWarning", "", "the solver stopped before it converged, so the model may be "
         "underfit: raise max_iter in model.params, or check for numeric columns on very "
         "different scales"),
    Rule("UndefinedMetricWarning", "", "a metric was undefined on these rows (a class that is "
         "never predicted, or absent) and is reported as 0"),
    Rule(RuntimeWarning, r"overflow", "numbers too large for the arithmetic became infinite: "
         "look for huge values in the numeric columns (data profile shows each column's min "
         "and max)"),
    Rule(RuntimeWarning, r"invalid value|divide by zero|empty slice|degrees of freedom|all-nan",
         "a statistic had nothing to work with (an empty or constant column, or a division by "
         "zero) and came out as NaN or infinite"),
)


@dataclass
class _Seen:
    step: str
    library: str
    said: str
    meaning: str | None
    count: int = 0
    taken: bool = False


@dataclass
class LibraryWarnings:
    """Catches every warning while active; ``take()`` gives the new ones as notes.

    Use ``tracking(on_step)`` as the pipeline's step callback so that each note names its step.
    """

    step: str = "reading the data"
    _seen: dict[tuple[str, str, str], _Seen] = field(default_factory=dict)
    _catch: Any = None

    def __enter__(self) -> LibraryWarnings:
        self._catch = warnings.catch_warnings()
        self._catch.__enter__()
        warnings.simplefilter("always")  # every occurrence is counted, in every run
        warnings.showwarning = self._show
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._catch.__exit__(kind, error, trace)

    def tracking(self, on_step: Callable[[str], None]) -> Callable[[str], None]:
        """``on_step``, also remembering the step for the notes of the warnings it brings."""

        def step(text: str) -> None:
            self.step = text
            on_step(text)

        return step

    def take(self) -> list[str]:
        """Notes for the warnings not taken before, in the order they first came."""
        notes = []
        for seen in self._seen.values():
            if seen.taken or seen.meaning is None:
                continue
            seen.taken = True
            times = f", {seen.count:,} times" if seen.count > 1 else ""
            notes.append(f"while {seen.step}: {seen.meaning} ({seen.library}: {seen.said}{times})")
        return notes

    def _show(self, message: Warning | str, category: type[Warning], filename: str, lineno: int,
              file: Any = None, line: str | None = None) -> None:
        text = str(message)
        key = (category.__name__, text, self.step)
        if key not in self._seen:
            meaning = describe(category, text)
            self._seen[key] = _Seen(self.step, warning_library(filename), said(text), meaning)
        self._seen[key].count += 1


def describe(category: type[Warning], message: str) -> str | None:
    """What a warning means for the user, or None when it is not theirs to act on."""
    for rule in RULES:
        if rule.matches(category, message):
            return rule.meaning
    return f"a {category.__name__} came up"


def warning_library(filename: str) -> str:
    """The package that issued the warning being shown: the innermost caller on the stack
    outside ``warnings`` and this module (a warning's own file and line point at whoever its
    ``stacklevel`` blames, often the library's caller), else the package of ``filename``."""
    frame = sys._getframe(1)
    while frame is not None:
        package = str(frame.f_globals.get("__name__", "")).split(".")[0]
        if package not in ("warnings", __name__.split(".")[0], ""):
            return package
        if frame.f_globals.get("__name__", "").startswith("modelyard.") and \
                frame.f_globals.get("__name__") != __name__:
            return "modelyard"
        frame = frame.f_back
    parts = re.split(r"[\\/]", filename)
    for marker in ("site-packages", "dist-packages", "src"):
        if marker in parts[:-1]:
            return parts[parts.index(marker) + 1].removesuffix(".py")
    return "python"


def said(message: str) -> str:
    """The library's own words, on one line and cut to ``MAX_SAID`` characters."""
    text = " ".join(message.split())
    return text if len(text) <= MAX_SAID else text[: MAX_SAID - 3] + "..."


def to_terminal(print_note: Callable[[str], None]) -> None:
    """Show warnings outside a pipeline step as ``note:`` lines through ``print_note``, once
    per message, without source paths; warnings meant for developers are dropped."""
    shown: set[str] = set()

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:
        text = str(message)
        meaning = describe(category, text)
        if meaning is None or text in shown:
            return
        shown.add(text)
        print_note(f"{meaning} ({warning_library(filename)}: {said(text)})")

    warnings.showwarning = show
