"""Numbers and categories a file brings to `modelyard predict`: infinite values, values beyond a
double, categories training never saw, and reading options predict must take (issue 29 items 4,
6 and 9)."""

from __future__ import annotations

from bad_input.harness import DATA, Probe

TELCO = (DATA / "telco_churn.csv").read_text(encoding="utf-8")
HEADER, *ROWS = TELCO.splitlines()
COLUMNS = HEADER.split(",")
PREDICT = ("predict", "churn", "{work}/rows.csv", "-o", "{work}/out.csv")


def _edit(row: str, column: str, text: str) -> str:
    fields = row.split(",")
    fields[COLUMNS.index(column)] = text
    return ",".join(fields)


def _rows(edits: dict[int, dict[str, str]], count: int = 12) -> str:
    """The header and the first ``count`` telco rows, with ``edits[row][column] = text``."""
    lines = [HEADER]
    for number, row in enumerate(ROWS[:count]):
        fields = row.split(",")
        for column, text in edits.get(number, {}).items():
            fields[COLUMNS.index(column)] = text
        lines.append(",".join(fields))
    return "\n".join(lines) + "\n"


HOUSES = (DATA / "california_housing.csv").read_text(encoding="utf-8").splitlines()
HOUSE_TARGET = HOUSES[0].split(",").index("median_house_value")


def _houses(value: str) -> str:
    """The housing slice with ``value`` as the target of its eighth row."""
    rows = [row.split(",") for row in HOUSES]
    rows[8][HOUSE_TARGET] = value
    return "\n".join(",".join(row) for row in rows) + "\n"


TRAIN_HOUSES = ("train", "{work}/houses.csv", "--target", "median_house_value", "--model",
                "lightgbm")

PROBES = [
    # a regression target beyond +-3.4e38 cannot be learnt or scored: named before any run
    Probe("train-regression-target-beyond-float32", TRAIN_HOUSES,
          says=("target 'median_house_value'", "1 value(s) beyond +-3.4e38", "1e+308"),
          files={"houses.csv": _houses("1e308")}),
    Probe("train-regression-target-infinite", TRAIN_HOUSES,
          says=("target 'median_house_value'", "-inf"), files={"houses.csv": _houses("-inf")}),
    # rows 2 and 5 are file lines 4 and 7 (the header is line 1)
    Probe("predict-infinite-numbers", PREDICT,
          says=("column 'tenure'", "not finite", "lines 4 and 7", "inf, -inf", "empty the cells"),
          files={"rows.csv": _rows({2: {"tenure": "inf"}, 5: {"tenure": "-Infinity"}})}),
    Probe("predict-number-beyond-a-double", PREDICT,
          says=("column 'monthlycharges'", "not finite", "line 10", "1e400"),
          files={"rows.csv": _rows({8: {"MonthlyCharges": "1e400"}})}),
    Probe("predict-infinity-as-text-among-numbers", PREDICT,
          says=("column 'totalcharges'", "not finite", "line 3"),
          files={"rows.csv": _rows({1: {"TotalCharges": " Infinity"}, 3: {"TotalCharges": " "}})}),
    # a blank line, a line of spaces and a quoted line break do not shift the line named
    Probe("predict-infinite-number-after-blank-lines", PREDICT,
          says=("column 'tenure'", "in line 8:"),
          files={"rows.csv": "\n".join([
              HEADER, "", ROWS[0], "   ", _edit(ROWS[1], "gender", '"Fe\nmale"'), ROWS[2],
              _edit(ROWS[3], "tenure", "inf"), ROWS[4]]) + "\n"}),
    Probe("predict-unseen-category-refused", (*PREDICT, "--unseen-categories", "error"),
          says=("categories training never saw", "'contract' in lines 2 and 5",
                "'month-to-month' (training has 'month-to-month')", "'weekly'",
                "expected for 'contract' one of", "case included", "--unseen-categories warn"),
          files={"rows.csv": _rows({0: {"Contract": "month-to-month"},
                                    3: {"Contract": "Weekly"}})}),
    Probe("predict-unseen-policy-misspelt", (*PREDICT, "--unseen-categories", "eror"),
          says=("--unseen-categories", "'eror'", "error, warn, ignore"),
          files={"rows.csv": _rows({})}),
    Probe("predict-latin-1-file-hint-names-the-flag", PREDICT,
          says=("not valid utf-8", "--encoding"),
          files={"rows.csv": _rows({0: {"gender": "Fémale"}}).encode("latin-1")}),
    Probe("predict-semicolon-file-hint-names-the-flag", PREDICT,
          says=("single column", "--sep ';'"),
          files={"rows.csv": _rows({}).replace(",", ";")}),
    Probe("predict-bad-quoting-flag", (*PREDICT, "--quoting", "nope"),
          says=("--quoting", "'minimal' or 'none'"), files={"rows.csv": _rows({})}),
    Probe("predict-sql-format-on-a-file", (*PREDICT, "--format", "sql"),
          says=("--format 'sql'", "predict reads files", "csv"), files={"rows.csv": _rows({})}),
]
