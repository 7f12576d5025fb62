"""Data sources on the committed real slices: files, SQL (SQLite, PostgreSQL), DuckDB, idx images,
and every error a user can run into, with its message and hint."""

from __future__ import annotations

import gzip
import json
import shutil
import uuid

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from modelyard.data.images import read_idx
from modelyard.data.sources import FileSource, infer_format, open_source
from modelyard.errors import DataError
from modelyard.spec.models import SourceSpec

ADULT_COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
]
CMAPSS_COLUMNS = ["unit", "cycle", "op1", "op2", "op3"] + [f"s{i}" for i in range(1, 22)]


def read(**fields) -> pd.DataFrame:
    return open_source(SourceSpec(**fields)).read()


def error_of(**fields) -> DataError:
    with pytest.raises(DataError) as info:
        read(**fields)
    return info.value


def full_text(err: DataError) -> str:
    return f"{err.message}\n{err.hint or ''}"


# ---- files: the real slices -------------------------------------------------------------------


def test_telco_csv_keeps_blank_total_charges(data_dir):
    frame = read(path=str(data_dir / "telco_churn.csv"))
    assert frame.shape == (317, 21)
    assert frame["tenure"].dtype.kind == "i"
    assert (frame["TotalCharges"] == " ").sum() == 11  # blanks stay as they come


def test_adult_without_header_marks_question_marks_missing(data_dir):
    common = dict(
        header=False, columns=ADULT_COLUMNS, skip_initial_space=True, missing_values=["?"]
    )
    train = read(path=str(data_dir / "adult" / "adult-train.csv"), **common)
    test = read(path=str(data_dir / "adult" / "adult-test.csv"), **common)
    assert list(train.columns) == ADULT_COLUMNS and train.shape == (302, 15)
    assert train["workclass"].isna().sum() > 0
    assert not (train == "?").any().any()
    assert train["workclass"].iloc[0] == "State-gov"  # the space after the comma is gone
    assert set(test["income"].dropna()) <= {"<=50K.", ">50K."}


def test_no_header_without_names_gives_c0_to_cn(data_dir):
    frame = read(path=str(data_dir / "credit_g.csv"), header=False)
    assert frame.shape == (334, 21)
    assert list(frame.columns) == [f"c{i}" for i in range(21)]
    assert frame["c0"].iloc[0] == "A11" and frame["c1"].iloc[0] == 6


def test_utf8_bom_is_removed(data_dir):
    frame = read(path=str(data_dir / "ai4i2020.csv"))
    assert frame.columns[0] == "UDI"
    assert "Machine failure" in frame.columns


def test_parquet_slice_keeps_timestamps(data_dir):
    frame = read(path=str(data_dir / "m4_hourly.parquet"))
    assert frame.shape == (300, 4)
    assert pd.api.types.is_datetime64_any_dtype(frame["timestamp"])


def test_cdnow_whitespace_with_leading_spaces(data_dir):
    assert infer_format(str(data_dir / "cdnow.txt")) == "whitespace"
    frame = read(path=str(data_dir / "cdnow.txt"))
    assert list(frame.columns) == ["customer_id", "date", "number_of_cds", "dollar_value"]
    assert frame.shape == (301, 4)
    assert frame["dollar_value"].iloc[0] == pytest.approx(11.77)


def test_cmapss_whitespace_no_header_trailing_spaces(data_dir):
    frame = read(path=str(data_dir / "cmapss_train.txt"), header=False, columns=CMAPSS_COLUMNS)
    assert frame.shape == (304, 26)
    assert list(frame.columns) == CMAPSS_COLUMNS
    assert frame.notna().all().all()  # trailing spaces add no empty column


def test_sst2_tsv_without_quoting(data_dir):
    frame = read(path=str(data_dir / "sst2_dev.tsv"), quoting="none")
    assert list(frame.columns) == ["label", "content"]
    assert frame.shape == (436, 2)
    assert set(frame["label"]) == {0, 1}


def test_files_concatenated_by_list_and_by_glob(data_dir):
    folder = data_dir / "online_retail"
    by_list = read(path=[str(folder / "france.csv"), str(folder / "germany.csv")])
    by_glob = read(path=str(folder / "*.csv"))
    assert by_list.shape == (302, 8) and by_list.columns[0] == "InvoiceNo"  # germany has a BOM
    assert list(by_list["Country"].unique()) == ["France", "Germany"]
    pd.testing.assert_frame_equal(by_list, by_glob)
    assert "files" in open_source(SourceSpec(path=str(folder / "*.csv"))).describe()


def test_gzipped_pixel_csv(data_dir):
    frame = read(path=str(data_dir / "mnist_300.csv.gz"), header=False)
    assert frame.shape == (300, 785)
    assert frame["c784"].between(0, 9).all()


def test_fashion_mnist_idx(data_dir):
    source = open_source(
        SourceSpec(path=str(data_dir / "fashion_mnist" / "train-images-idx3-ubyte.gz"))
    )
    frame = source.read()
    assert frame.shape == (600, 785)
    assert list(frame.columns[:2]) == ["px0", "px1"] and frame.columns[-1] == "label"
    assert frame["px0"].dtype == np.uint8 and frame["label"].dtype == np.int64
    assert set(frame["label"]) == set(range(10))
    assert source.describe().startswith("idx file")


def test_jsonl_round_trip_from_telco(data_dir, tmp_path):
    original = pd.read_csv(data_dir / "telco_churn.csv")
    path = tmp_path / "telco.jsonl"
    original.to_json(path, orient="records", lines=True)
    frame = read(path=str(path))
    assert list(frame.columns) == list(original.columns)
    assert frame.shape == original.shape
    assert frame["customerID"].tolist() == original["customerID"].tolist()
    assert (frame["TotalCharges"] == " ").sum() == 11


def test_parquet_written_from_a_frame_and_column_selection(tmp_path):
    original = pd.DataFrame({"id": ["001", "002", "003"], "x": [1.5, None, 3.0], "n": [1, 2, 3]})
    path = tmp_path / "t.parquet"
    original.to_parquet(path)
    pd.testing.assert_frame_equal(read(path=str(path)), original, check_dtype=False)
    picked = open_source(SourceSpec(path=str(path))).read(columns=["n", "id"])
    assert list(picked.columns) == ["n", "id"] and picked["id"].tolist() == ["001", "002", "003"]


def test_read_options_separator_comment_skip_rows_encoding(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_bytes(
        "title line\n# a comment\nnom;ville\nZoé;Orléans\nAna;Lyon\n".encode("latin-1")
    )
    frame = read(path=str(path), separator=";", comment="#", skip_rows=1, encoding="latin-1")
    assert list(frame.columns) == ["nom", "ville"]
    assert frame["ville"].tolist() == ["Orléans", "Lyon"]


def test_header_replaced_by_columns(data_dir):
    names = ["customer", "day", "cds", "dollars"]
    frame = read(path=str(data_dir / "cdnow.txt"), columns=names)
    assert list(frame.columns) == names and len(frame) == 301


def test_infer_format_from_names(tmp_path):
    cases = {
        "a.csv": "csv",
        "a.CSV.gz": "csv",
        "a.tsv": "tsv",
        "a.tab": "tsv",
        "a.parquet": "parquet",
        "a.pq": "parquet",
        "a.jsonl": "jsonl",
        "a.ndjson": "jsonl",
        "a.json": "jsonl",
        "t10k-images-idx3-ubyte.gz": "idx",
        "x.idx3": "idx",
    }
    for name, expected in cases.items():
        assert infer_format(name) == expected, name
    comma = tmp_path / "comma.dat"
    comma.write_text("a b,c\n1 2,3\n")
    assert infer_format(str(comma)) == "csv"


# ---- SQL and DuckDB -----------------------------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path, data_dir) -> str:
    path = tmp_path / "shop.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    pd.read_csv(data_dir / "telco_churn.csv").to_sql("customers", engine, index=False)
    engine.dispose()
    return f"sqlite:///{path}"


def test_sqlite_table_and_query(sqlite_url):
    table = read(url=sqlite_url, table="customers")
    assert table.shape == (317, 21)
    query = read(url=sqlite_url, query="select gender, tenure from customers where tenure > 12")
    assert list(query.columns) == ["gender", "tenure"] and (query["tenure"] > 12).all()
    picked = open_source(SourceSpec(url=sqlite_url, table="customers")).read(columns=["Churn"])
    assert list(picked.columns) == ["Churn"] and len(picked) == 317


def test_sql_errors(sqlite_url, tmp_path):
    err = error_of(url=sqlite_url, table="custmers")
    assert "custmers" in err.message and "'customers'" in err.hint
    err = error_of(url=sqlite_url, query="selec * from customers")
    assert "syntax error" in err.message
    err = error_of(url=sqlite_url, query="select * from customers where tenure < 0")
    assert "empty" in err.message
    err = error_of(url="not a url at all", table="t")
    assert "postgresql+psycopg://" in err.hint
    err = error_of(url="nosuchdb+driver://host/db", table="t")
    assert "nosuchdb" in err.message and "sqlite:///" in err.hint
    err = error_of(url=f"sqlite:///{tmp_path / 'shopp.db'}", table="customers")
    assert "not found" in err.message and "shop.db" in err.hint
    assert not (tmp_path / "shopp.db").exists()  # SQLite did not create an empty file
    err = error_of(url="postgresql+psycopg://postgres@127.0.0.1:1/test", table="t")
    assert "cannot connect" in err.message and "running" in err.hint


@pytest.mark.postgres
def test_postgresql_table_and_query(pg_url, data_dir):
    name = f"modelyard_src_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(pg_url)
    pd.read_csv(data_dir / "telco_churn.csv").to_sql(name, engine, index=False)
    try:
        source = open_source(SourceSpec(url=pg_url, table=name))
        assert source.read().shape == (317, 21)
        assert source.read(columns=["customerID", "Churn"]).shape == (317, 2)
        assert name in source.describe()
        counted = read(url=pg_url, query=f'select "Churn", count(*) as n from {name} group by 1')
        assert counted["n"].sum() == 317
        err = error_of(url=pg_url, table=name[:-1])
        assert name in err.hint
        err = error_of(url=pg_url, query=f"select nope from {name}")
        assert "nope" in err.message
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"drop table if exists {name}"))
        engine.dispose()


def test_duckdb_over_csv_and_parquet(data_dir):
    csv_path = (data_dir / "telco_churn.csv").as_posix()
    frame = read(format="duckdb", query=f"select * from read_csv_auto('{csv_path}')")
    assert frame.shape == (317, 21)
    pattern = (data_dir / "*.parquet").as_posix()
    counted = read(
        format="duckdb",
        query=f"select series_id, count(*) as n from read_parquet('{pattern}') group by 1",
    )
    assert counted["n"].sum() == 300


def test_duckdb_errors(tmp_path):
    err = error_of(format="duckdb", query=f"select * from read_csv_auto('{tmp_path}/nope.csv')")
    assert "nope.csv" in err.message and "missing" in err.hint
    err = error_of(format="duckdb", query="selec 1")
    assert "syntax" in err.message
    err = error_of(format="duckdb", query="select * from customers")
    assert "customers" in err.message and "read_csv_auto" in err.hint
    err = error_of(format="duckdb", query="select 1 as a where false")
    assert "empty" in err.message


# ---- file errors --------------------------------------------------------------------------


def test_missing_file_suggests_similar_names(data_dir, tmp_path):
    err = error_of(path=str(data_dir / "telco_chrun.csv"))
    assert "not found" in err.message and "telco_churn.csv" in err.hint
    err = error_of(path=str(tmp_path / "nowhere" / "x.csv"))
    assert "does not exist" in err.message


def test_directory_and_empty_files(tmp_path):
    assert "directory" in error_of(path=str(tmp_path)).message
    (tmp_path / "zero.csv").write_text("")
    assert "empty" in error_of(path=str(tmp_path / "zero.csv")).message
    (tmp_path / "header.csv").write_text("a,b\n")
    assert "the table is empty" in error_of(path=str(tmp_path / "header.csv")).message
    assert "no files match" in error_of(path=str(tmp_path / "*.parquet")).message


def test_duplicate_names_in_header_and_in_columns(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("a,b,a\n1,2,3\n")
    err = error_of(path=str(path))
    assert "duplicate" in err.message and "'a'" in err.message
    err = error_of(path=str(path), header=False, columns=["x", "y", "x"])
    assert "duplicate" in err.message and "'x'" in err.message


def test_columns_count_must_match_fields(data_dir):
    err = error_of(path=str(data_dir / "credit_g.csv"), header=False, columns=["a", "b", "c"])
    assert "3 columns" in err.message and "21 fields" in err.message


def test_file_not_in_its_format(data_dir, tmp_path):
    fake = tmp_path / "table.csv"
    fake.write_bytes((data_dir / "m4_hourly.parquet").read_bytes())
    err = error_of(path=str(fake))
    assert "parquet" in err.message and "format: parquet" in err.hint
    blob = tmp_path / "blob.csv"
    blob.write_bytes(bytes(range(256)) * 4)
    assert "binary" in error_of(path=str(blob)).message
    semi = tmp_path / "semi.csv"
    semi.write_text("a;b;c\n1;2;3\n")
    err = error_of(path=str(semi))
    assert "single column" in err.message and "separator: ';'" in err.hint
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b\n1,2\n3,4,5\n")
    assert "line 3" in error_of(path=str(ragged)).message
    text = tmp_path / "text.parquet"
    text.write_text("a,b\n1,2\n")
    assert "text" in error_of(path=str(text)).hint


def test_wrong_encoding_hint(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("name\nZoé\n".encode("latin-1"))
    err = error_of(path=str(path))
    assert "utf-8" in err.message and "encoding" in err.hint


def test_concatenated_files_must_share_columns(data_dir):
    err = error_of(
        path=[str(data_dir / "online_retail" / "france.csv"), str(data_dir / "telco_churn.csv")]
    )
    assert "telco_churn.csv" in err.message and "france.csv" in err.message
    assert "InvoiceNo" in err.message and "customerID" in err.message


def test_unknown_extension_lists_formats(tmp_path):
    with pytest.raises(DataError) as info:
        infer_format(str(tmp_path / "table.xlsx"))
    assert "'.xlsx'" in info.value.message
    assert "parquet" in info.value.hint and "data.source.format" in info.value.hint


def test_malformed_jsonl_line_is_named(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"a": 1}\n{"a": 2}\n{"a": 3\n{"a": 4}\n')
    assert "line 3" in error_of(path=str(path)).message
    array = tmp_path / "array.json"
    array.write_text(json.dumps([{"a": 1}]))
    assert "JSON array" in error_of(path=str(array)).message


def test_unknown_requested_column(data_dir):
    source = open_source(SourceSpec(path=str(data_dir / "telco_churn.csv")))
    with pytest.raises(DataError) as info:
        source.read(columns=["churn"])
    assert "'churn'" in info.value.message and "'Churn'" in info.value.hint


def test_split_parts_go_through_the_caller(data_dir):
    spec = SourceSpec(
        path={
            "train": str(data_dir / "adult" / "adult-train.csv"),
            "test": str(data_dir / "adult" / "adult-test.csv"),
        },
        header=False,
    )
    with pytest.raises(DataError) as info:
        open_source(spec)
    assert "model_copy" in info.value.hint
    part = open_source(spec.model_copy(update={"path": spec.path["test"]}))
    assert isinstance(part, FileSource) and len(part.read()) == 151


def test_idx_errors(data_dir, tmp_path):
    folder = data_dir / "fashion_mnist"
    images = tmp_path / "train-images-idx3-ubyte.gz"
    shutil.copy(folder / "train-images-idx3-ubyte.gz", images)
    err = error_of(path=str(images))
    assert "train-labels-idx1-ubyte.gz" in err.message
    shutil.copy(folder / "t10k-labels-idx1-ubyte.gz", tmp_path / "train-labels-idx1-ubyte.gz")
    err = error_of(path=str(images))
    assert "600 images" in err.message and "200 labels" in err.message
    cut = tmp_path / "cut-images-idx3-ubyte"
    cut.write_bytes(gzip.decompress(images.read_bytes())[:1000])
    with pytest.raises(DataError, match="does not match its idx header"):
        read_idx(cut)
    text = tmp_path / "text-images-idx3-ubyte"
    text.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="not an idx file"):
        read_idx(text)
