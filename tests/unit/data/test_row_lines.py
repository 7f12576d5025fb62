"""``data_lines``: the file line each data row starts on, as the readers count rows."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from modelyard.data.row_lines import data_lines, row_label
from modelyard.data.sources import read_file
from modelyard.spec.models import ReadOptions


def _lines(path: Path, **options) -> list[int] | None:
    read = ReadOptions(**options)
    return data_lines(path, read, len(read_file(path, read)))


def test_header_blank_comment_and_quoted_lines_are_counted_like_the_reader(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('a,b\n1,2\n\n   \n3,4\n,\n#c\n5,"x\ny"\n6,7\n', encoding="utf-8")
    assert _lines(path, comment="#") == [2, 5, 6, 8, 10]


def test_skip_rows_no_header_bom_and_gzip(tmp_path):
    path = tmp_path / "t.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("\ufeffjunk line\n1,2\n3,4\n")
    assert _lines(path, skip_rows=1, header=False) == [2, 3]


def test_whitespace_tables_and_json_lines(tmp_path, data_dir):
    assert _lines(data_dir / "cmapss_train.txt", header=False)[:3] == [1, 2, 3]
    path = tmp_path / "t.jsonl"
    path.write_text('{"a": 1}\n\n{"a": 2}\n', encoding="utf-8")
    assert _lines(path) == [1, 3]


def test_unknown_when_the_count_differs_or_the_format_has_no_lines(tmp_path, data_dir):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n3,4\n", encoding="utf-8")
    assert data_lines(path, ReadOptions(), 5) is None
    assert data_lines(data_dir / "m4_hourly.parquet", ReadOptions(), 300) is None


@pytest.mark.parametrize("positions,lines,text", [
    ([0], [2, 3], "line 2"),
    ([0, 1], [2, 3], "lines 2 and 3"),
    ([0, 1, 2], None, "rows 1, 2 and 3 (counting data rows from 1)"),
    (list(range(7)), list(range(10, 17)), "lines 10, 11, 12, 13, 14 and 2 more"),
])
def test_row_labels(positions, lines, text):
    assert row_label(positions, lines) == text
