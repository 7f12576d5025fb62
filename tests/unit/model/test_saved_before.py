"""Models saved before the model layer existed still load, through the same format names, and
predict what they predicted then (``tests/data/saved_models``, written at commit df2fd45)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modelyard.data.infer import infer_schema
from modelyard.formats import load_artifact
from modelyard.model import EnsembleBundle, ModelBundle

DATA = Path(__file__).parents[2] / "data"
SAVED = DATA / "saved_models"
CASES = [  # (saved model, format name, table, target, predicted rows)
    ("telco_logistic", "modelyard.bundle", "telco_churn.csv", "Churn", slice(250, 270)),
    ("telco_ensemble", "modelyard.ensemble", "telco_churn.csv", "Churn", slice(250, 270)),
    ("housing_linear", "modelyard.bundle", "california_housing.csv", "median_house_value",
     slice(400, 420)),
]


def _rows(table: str, target: str, rows: slice) -> pd.DataFrame:
    frame, schema = infer_schema(pd.read_csv(DATA / table), target=target)
    return frame[schema.names].iloc[rows]


@pytest.mark.parametrize(("name", "fmt", "table", "target", "rows"), CASES)
def test_a_model_saved_before_loads_by_its_format_name_and_predicts_the_same(
        name, fmt, table, target, rows):
    expected = json.loads((SAVED / "expected.json").read_text())[name]
    model = load_artifact(fmt, SAVED / name)
    assert isinstance(model, EnsembleBundle if fmt == "modelyard.ensemble" else ModelBundle)
    out = model.predict_frame(_rows(table, target, rows))
    for column, values in expected.items():
        if column == "prediction" and model.task != "regression":
            assert out[column].tolist() == values  # exact: class labels read back
        else:
            np.testing.assert_allclose(out[column].to_numpy(float), values, rtol=1e-9)


@pytest.mark.parametrize(("name", "fmt"), [(c[0], c[1]) for c in CASES])
def test_saving_again_keeps_the_file_layout_and_the_metadata(tmp_path, name, fmt):
    model = load_artifact(fmt, SAVED / name)
    model.save(tmp_path / name)

    def files(root: Path) -> list[str]:
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    assert files(tmp_path / name) == files(SAVED / name)
    meta = "ensemble.json" if fmt == "modelyard.ensemble" else "bundle.json"
    again = json.loads((tmp_path / name / meta).read_text())
    before = json.loads((SAVED / name / meta).read_text())
    assert again.pop("weights", None) == pytest.approx(before.pop("weights", None))
    assert again == before
