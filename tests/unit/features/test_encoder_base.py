"""The column encoder base is abstract: an encoder that cannot save its state fails when it is
built, not when a saved model is first read back."""

from __future__ import annotations

import pandas as pd
import pytest

from modelyard.features.base import ColumnEncoder


def test_an_encoder_without_get_state_or_set_state_cannot_be_instantiated():
    class Doubling(ColumnEncoder):
        kind = "doubling"

        def fit(self, values, y=None, task=None):
            self.names_out_ = [self.column]
            return self

        def transform(self, values):
            return self.frame(values.to_numpy(dtype=float)[:, None] * 2, values.index)

    with pytest.raises(TypeError, match="abstract methods? .*get_state.*set_state"):
        Doubling("x")

    class Stateful(Doubling):
        def get_state(self):
            return {}, {}

        def set_state(self, state, arrays):
            self.names_out_ = [self.column]

    out = Stateful("x").fit_transform(pd.Series([1.0, 2.5]))
    assert out["x"].tolist() == [2.0, 5.0]  # exact: doubling small binary fractions
