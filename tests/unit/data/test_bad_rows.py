"""Rows with too many or too few fields: an error naming the lines, or a counted skip."""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import pandas as pd
import pytest

from modelyard.data.dataset import load_dataset
from modelyard.data.sources import open_source
from modelyard.errors import DataError
from modelyard.spec.models import DataSpec, SourceSpec


def _telco_lines(data_dir: Path) -> list[str]:
    return (data_dir / "telco_churn.csv").read_text(encoding="utf-8").splitlines()


def _ragged(data_dir: Path, tmp_path: Path, *, drop: bool, every: int = 10) -> Path:
    """Telco with one field dropped (or one added) in every ``every``-th data row."""
    header, *rows = _telco_lines(data_dir)
    out = [header]
    for i, row in enumerate(rows):
        fields = row.split(",")
        if i % every == 5:
            fields = fields[:3] + fields[4:] if drop else fields + ["extra"]
        out.append(",".join(fields))
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def _read(path: Path, **options) -> pd.DataFrame:
    source = open_source(SourceSpec(path=str(path), **options))
    frame = source.read()
    _read.log = source.log
    return frame


@pytest.mark.parametrize("drop", [True, False])
def test_ragged_rows_are_an_error_naming_lines_and_the_count(data_dir, tmp_path, drop):
    path = _ragged(data_dir, tmp_path, drop=drop)
    with pytest.raises(DataError) as caught:
        _read(path)
    seen = 20 if drop else 22
    assert caught.value.message.startswith(f"32 of 317 rows of {path} do not have the 21 fields "
                                           "of the header: line 7 has ")
    assert f"line 7 has {seen}, line 17 has {seen}" in caught.value.message
    assert "and 27 more" in caught.value.message
    assert "on_bad_lines: skip" in caught.value.hint and "--on-bad-lines skip" in caught.value.hint


def test_extra_fields_in_the_first_data_row_are_not_dropped_silently(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,c\n1,2,3,4\n" + "".join(f"{i},{i},{i}\n" for i in range(20)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and no raw ParserWarning either
        with pytest.raises(DataError, match="line 2 has 4"):
            _read(path)


@pytest.mark.parametrize("drop", [True, False])
def test_skip_leaves_the_rows_out_and_counts_them(data_dir, tmp_path, drop):
    path = _ragged(data_dir, tmp_path, drop=drop)
    frame = _read(path, on_bad_lines="skip")
    assert len(frame) == 317 - 32
    assert _read.log.skipped_rows == 32
    assert _read.log.notes[0].startswith(f"skipped 32 of 317 rows of {path} that do not have")
    clean = pd.read_csv(data_dir / "telco_churn.csv")
    kept = [i for i in range(317) if i % 10 != 5]
    pd.testing.assert_frame_equal(frame, clean.iloc[kept].reset_index(drop=True))


def test_skipped_rows_reach_the_dataset_and_its_types_are_right(data_dir, tmp_path):
    path = _ragged(data_dir, tmp_path, drop=True)
    data = DataSpec(source=SourceSpec(path=str(path), on_bad_lines="skip"), target="Churn")
    dataset = load_dataset(data)
    assert dataset.skipped_rows == 32
    assert any(n.startswith("skipped 32 of 317 rows") for n in dataset.notes)
    kinds = {c.name: c.kind for c in dataset.schema.columns}
    assert kinds["tenure"] == "numeric" and kinds["TotalCharges"] == "numeric"


def test_skipping_most_rows_is_refused(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a;b;c\n" + "".join(f"{i};{i},{i}\n" for i in range(20)) + "1;2;3\n")
    with pytest.raises(DataError, match="would leave too little of the file") as caught:
        _read(path, separator=";", on_bad_lines="skip")
    assert "data.source.separator" in caught.value.hint


def test_a_separator_at_the_end_of_some_lines_loses_nothing(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,c\n1,2,3\n4,5,6,\n7,8,9,,\n10,11,\n")
    frame = _read(path)
    assert frame.shape == (4, 3) and frame["a"].tolist() == [1, 4, 7, 10]
    assert frame["c"].isna().tolist() == [False, False, False, True]  # 10,11, has an empty c


def test_quoted_lines_comments_and_blank_lines_count_as_in_the_file(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('# a comment\na,b,c\n1,"two\nlines",3\n\n# note\n4,5\n6,7,8 # end\n'
                    '9,"x,y",10\n')
    with pytest.raises(DataError, match=r"1 of 4 rows of .* the header: line 7 has 2;"):
        _read(path, comment="#")
    frame = _read(path, comment="#", on_bad_lines="skip")
    assert frame["a"].tolist() == [1, 6, 9]
    assert frame["b"].tolist() == ["two\nlines", "7", "x,y"]
    assert _read.log.skipped_rows == 1


def test_headerless_whitespace_and_compressed_files(tmp_path):
    plain = "1 2 3\n4 5 6\n7 8\n  9 10 11  \n"
    path = tmp_path / "t.data.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(plain)
    with pytest.raises(DataError, match="the 3 fields of the first row: line 3 has 2"):
        _read(path, format="whitespace", header=False)
    frame = _read(path, format="whitespace", header=False, on_bad_lines="skip")
    assert frame["c0"].tolist() == [1, 4, 9]


def test_skip_rows_keeps_its_meaning(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("exported by a tool, version 3\na,b\n1,2\n3\n5,6\n")
    frame = _read(path, skip_rows=1, on_bad_lines="skip")
    assert frame.to_dict("list") == {"a": [1, 5], "b": [2, 6]}
    with pytest.raises(DataError, match="line 4 has 1"):
        _read(path, skip_rows=1)
