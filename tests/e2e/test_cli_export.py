"""``modelyard export``: a registered version written as ONNX, scored by onnxruntime like the
model itself; unknown versions, unsupported models, unknown formats and an existing file are
refused with exit status 2."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import modelyard
from modelyard.errors import ExportError
from modelyard.model.export import onnx_feeds


def _spec(tmp_path: Path, data_dir: Path, learner: str) -> Path:
    spec = tmp_path / f"churn-{learner}.yaml"
    spec.write_text(f"""
name: churn-{learner.replace("_", "-")}
data:
  source: {{path: {data_dir / "telco_churn.csv"}}}
  target: Churn
model: {learner}
evaluation: {{bootstrap: 100, importance: false, latency: false}}
seed: 1
""")
    return spec


@pytest.mark.timeout(600)  # two trainings and six CLI processes
def test_export_a_registered_version(cli, tmp_path, data_dir):
    assert cli("train", _spec(tmp_path, data_dir, "lightgbm"), "--json").code == 0
    out = tmp_path / "churn.onnx"
    done = cli("export", "churn-lightgbm:1", "--format", "onnx", "--output", out, "--json")
    assert done.code == 0, done.err
    report = done.json()
    assert report["outputs"] == ["prediction", "probabilities"]
    assert report["bytes"] == out.stat().st_size

    model = modelyard.load("churn-lightgbm:1")
    rows = pd.read_csv(data_dir / "telco_churn_live.csv").head(200)
    session = ort.InferenceSession(str(out))
    prediction, proba = session.run(["prediction", "probabilities"], onnx_feeds(model, rows))
    assert_allclose(proba, model.predict_proba(rows), rtol=0, atol=1e-6)  # float32 trees
    assert list(prediction) == list(model.predict(rows))  # the version's threshold included
    assert sorted(i.name for i in session.get_inputs()) == sorted(report["inputs"])

    again = cli("export", "churn-lightgbm", "--output", out)
    assert again.code == 2 and "exists already" in again.err and "--force" in again.err
    assert cli("export", "churn-lightgbm", "--output", out, "--force").code == 0

    unknown = cli("export", "churn-nothing", "--output", tmp_path / "x.onnx")
    assert unknown.code == 2 and "churn-nothing" in unknown.err
    fmt = cli("export", "churn-lightgbm", "--format", "onxx", "--output", tmp_path / "x.onnx")
    assert fmt.code == 2 and "'onnx'" in fmt.err and "Traceback" not in fmt.err

    assert cli("train", _spec(tmp_path, data_dir, "random_forest"), "--json").code == 0
    refused = cli("export", "churn-random-forest", "--output", tmp_path / "forest.onnx")
    assert refused.code == 2 and "'random_forest'" in refused.err, refused.err
    assert "lightgbm" in refused.err and "Traceback" not in refused.err
    assert not (tmp_path / "forest.onnx").exists() and not (tmp_path / "x.onnx").exists()
    assert np.isfinite(proba).all()


def test_the_export_page_runs(tmp_path, monkeypatch, data_dir):
    """Every ```python block of docs/export.md runs, in order, in a fresh store and folder."""
    page = Path(__file__).resolve().parents[2] / "docs" / "export.md"
    code = re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), re.M | re.S)
    assert code, "docs/export.md lost its example"
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "data").symlink_to(data_dir)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "docs_export"}
    for number, block in enumerate(code, 1):
        exec(compile(block, f"export.md block {number}", "exec"), namespace)  # noqa: S102
    model = modelyard.load("churn-onnx")
    assert namespace["prediction"][0] == model.predict_row(namespace["row"])["prediction"]
    with pytest.raises(ExportError, match="exists already"):
        modelyard.export_onnx("churn-onnx", "churn.onnx")
