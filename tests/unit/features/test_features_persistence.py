"""Save and load: JSON plus .npz, no pickle, bit-identical transforms for both input kinds."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from modelyard.errors import DataError, IntegrityError
from modelyard.features import Preprocessor


def _assert_identical(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert a.index.equals(b.index)
    assert list(a.dtypes) == list(b.dtypes)
    assert a.equals(b)  # exact: the saved state read back, so bit for bit
    for name in a.columns:
        left, right = a[name], b[name]
        if isinstance(left.dtype, pd.CategoricalDtype):
            assert np.array_equal(left.cat.codes.to_numpy(), right.cat.codes.to_numpy())
            assert list(left.cat.categories) == list(right.cat.categories)
        else:
            # exact: the saved state read back, so bit for bit, no tolerance
            assert np.array_equal(left.to_numpy(), right.to_numpy())


def _cases(telco, telco_schema, adult, ames, retail, sst2, make_schema):
    retail_schema = make_schema(
        retail, kinds={"Description": "text", "InvoiceDate": "datetime"}, drop=("InvoiceNo",)
    )
    return {
        "telco": (telco, telco_schema, {"scale": True}),
        "telco-target": (telco, telco_schema, {"max_onehot": 2, "high_cardinality": "target"}),
        "adult": (adult, make_schema(adult, target="income"), {}),
        "ames": (
            ames,
            make_schema(ames, target="SalePrice", drop=("Id",), target_kind="numeric"),
            {"scale": True, "max_onehot": 8, "high_cardinality": "target"},
        ),
        "retail": (retail, retail_schema, {"scale": True, "text_max_features": 300}),
        "sst2": (sst2, make_schema(sst2, kinds={"content": "text"}, target="label"), {}),
    }


@pytest.mark.parametrize("input_kind", ["dense", "categorical"])
@pytest.mark.parametrize("case", ["telco", "telco-target", "adult", "ames", "retail", "sst2"])
def test_reload_is_bit_identical(
    case,
    input_kind,
    tmp_path,
    splitter,
    telco,
    telco_schema,
    adult,
    ames,
    retail,
    sst2,
    make_schema,
):
    frame, schema, params = _cases(telco, telco_schema, adult, ames, retail, sst2, make_schema)[
        case
    ]
    train, holdout = splitter(frame, int(len(frame) * 0.7), seed=11)
    pre = Preprocessor(schema, input_kind=input_kind, **params)
    fitted_train = pre.fit_transform(train)
    pre.save(tmp_path / "pre")
    loaded = Preprocessor.load(tmp_path / "pre")

    assert loaded.feature_names_out_ == pre.feature_names_out_
    assert loaded.categorical_features_ == pre.categorical_features_
    assert loaded.n_fit_rows_ == pre.n_fit_rows_ == len(train)
    assert loaded.fit_rows_digest_ == pre.fit_rows_digest_
    assert loaded.get_params() == pre.get_params()
    _assert_identical(loaded.transform(holdout), pre.transform(holdout))
    _assert_identical(loaded.transform(train), pre.transform(train))
    if params.get("high_cardinality") != "target":
        _assert_identical(loaded.transform(train), fitted_train)


def test_saved_files_are_json_and_pickle_free_npz(tmp_path, sst2, make_schema):
    schema = make_schema(sst2, kinds={"content": "text"}, target="label")
    Preprocessor(schema, text_max_features=40).fit(sst2).save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arrays.npz", "preprocessor.json"]
    manifest = json.loads((tmp_path / "preprocessor.json").read_text())
    assert manifest["format"] == "modelyard.preprocessor"
    assert len(manifest["encoders"][0]["state"]["vocabulary"]) == 40
    with np.load(tmp_path / "arrays.npz", allow_pickle=False) as npz:
        assert all(npz[key].dtype != object for key in npz.files)
        assert npz["0.idf"].shape == (40,)


def test_tampered_arrays_are_refused(tmp_path, sst2, make_schema):
    schema = make_schema(sst2, kinds={"content": "text"}, target="label")
    Preprocessor(schema, text_max_features=40).fit(sst2).save(tmp_path)
    with np.load(tmp_path / "arrays.npz", allow_pickle=False) as npz:
        idf = npz["0.idf"] * 2
    with open(tmp_path / "arrays.npz", "wb") as fh:
        np.savez(fh, **{"0.idf": idf})
    with pytest.raises(IntegrityError) as err:
        Preprocessor.load(tmp_path)
    assert "SHA-256" in str(err.value) and err.value.hint


def test_loading_a_directory_without_a_preprocessor_says_so(tmp_path):
    with pytest.raises(DataError) as err:
        Preprocessor.load(tmp_path)
    assert "preprocessor.json" in str(err.value)
