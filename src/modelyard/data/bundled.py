"""Datasets bundled inside scikit-learn (no download): ``format: sklearn`` with ``path: iris``."""

from __future__ import annotations

import pandas as pd

from modelyard.errors import DataError, did_you_mean

# name -> loader in sklearn.datasets; only the ones shipped inside the wheel (no network).
BUNDLED = {
    "iris": "load_iris",
    "wine": "load_wine",
    "breast_cancer": "load_breast_cancer",
    "diabetes": "load_diabetes",
    "digits": "load_digits",
}


class BundledSource:
    """A scikit-learn bundled dataset as a table; the target column is named ``target``.

    For classification sets the target holds the class names (``setosa``), not codes.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def describe(self) -> str:
        return f"scikit-learn bundled dataset '{self.name}'"

    def read(self, columns: list[str] | None = None) -> pd.DataFrame:
        if self.name not in BUNDLED:
            raise DataError(
                f"no bundled dataset named '{self.name}'",
                hint=did_you_mean(self.name, BUNDLED) + f"; bundled: {', '.join(BUNDLED)}",
            )
        from sklearn import datasets

        bunch = getattr(datasets, BUNDLED[self.name])(as_frame=True)
        frame = bunch.frame.copy()
        names = getattr(bunch, "target_names", None)
        if names is not None and len(names) and self.name != "diabetes":
            frame["target"] = [str(names[int(code)]) for code in frame["target"]]
        return frame[columns] if columns else frame
