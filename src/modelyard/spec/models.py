"""Pydantic models of the declarative spec. Unknown keys are rejected (``extra="forbid"``).

Only options that work exist here; later features add their own sections.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from modelyard.names import NAME_RULE, is_name
from modelyard.spec.forecast import ForecastSpec
from modelyard.spec.monitoring import MonitoringSpec
from modelyard.spec.retrain import RetrainSpec
from modelyard.spec.search import SearchSpec

FILE_FORMATS = ("csv", "tsv", "whitespace", "parquet", "jsonl", "idx")  # formats read from files
FORMATS = ("csv", "tsv", "whitespace", "parquet", "jsonl", "sql", "duckdb", "idx", "sklearn",
           "dataframe")
DATAFRAME = "dataframe"  # the rows are a pandas DataFrame handed to modelyard.train in Python
TASKS = ("binary", "multiclass", "regression")
COLUMN_KINDS = ("numeric", "categorical", "boolean", "datetime", "text", "identifier")
SPLIT_METHODS = ("auto", "random", "stratified", "group", "time", "column")
SPLIT_PARTS = ("train", "validation", "test")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReadOptions(_Strict):
    """How to read a file: the options real files need."""

    format: (
        Literal["csv", "tsv", "whitespace", "parquet", "jsonl", "sql", "duckdb", "idx", "sklearn",
                "dataframe"]
        | None
    ) = Field(
        None,
        description="File format; inferred from the extension when omitted. "
        "'sklearn' reads a dataset bundled with scikit-learn (path: iris); 'dataframe' is the "
        "in-memory table given to modelyard.train in Python (no path).",
    )
    header: bool = Field(True, description="Whether the first row holds column names.")
    columns: list[str] | None = Field(
        None, description="Column names (for files without a header)."
    )
    separator: str | None = Field(None, description="Field separator; implied by the format.")
    encoding: str = Field("utf-8", description="Text encoding; a UTF-8 BOM is always removed.")
    missing_values: list[str] = Field(
        default_factory=list, description="Extra markers read as missing, such as '?'."
    )
    skip_initial_space: bool = Field(False, description="Drop spaces after each separator.")
    skip_rows: int = Field(0, ge=0, description="Lines to skip at the top of the file.")
    quoting: Literal["minimal", "none"] = Field(
        "minimal", description="'none' reads quotes as text."
    )
    comment: str | None = Field(None, description="Lines starting with this are ignored.")
    on_bad_lines: Literal["error", "skip"] = Field(
        "error",
        description="A row with more or fewer fields than the header: 'error' stops with the "
        "first line numbers; 'skip' leaves such rows out and counts them in the notes.",
    )


class SourceSpec(ReadOptions):
    """Where the rows come from.

    ``path`` is one file, a list of files (concatenated), or a mapping of split part to file(s)
    (``train``/``validation``/``test``) when the data ships already split. ``url`` with ``table``
    or ``query`` reads SQL over any SQLAlchemy URL. ``format: duckdb`` runs ``query`` in DuckDB,
    which can read local CSV and Parquet files (the data-lake case).
    """

    path: str | list[str] | dict[str, str | list[str]] | None = None
    url: str | None = None
    table: str | None = None
    query: str | None = None

    @field_validator("path")
    @classmethod
    def _parts_known(cls, value):
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(SPLIT_PARTS))
            if unknown:
                raise ValueError(
                    f"unknown split part(s) {unknown} in path; valid parts: {list(SPLIT_PARTS)}"
                )
            if "train" not in value:
                raise ValueError("a path mapping needs a 'train' entry")
        return value

    @model_validator(mode="after")
    def _one_origin(self):
        if self.format == DATAFRAME:
            if self.path is not None or self.url is not None:
                raise ValueError("format 'dataframe' takes no 'path' or 'url': the rows are the "
                                 "DataFrame given to modelyard.train")
            return self
        if self.format == "duckdb":
            if not self.query:
                raise ValueError("format 'duckdb' needs a 'query' (SQL over local files)")
            return self
        if self.url is not None or self.format == "sql":
            if not self.url:
                raise ValueError("format 'sql' needs a 'url' (any SQLAlchemy URL)")
            if bool(self.table) == bool(self.query):
                raise ValueError("an SQL source needs exactly one of 'table' or 'query'")
            return self
        if self.path is None:
            raise ValueError("the data section needs a 'path' (or 'url' with 'table'/'query')")
        if self.table or self.query:
            raise ValueError("'table' and 'query' need a 'url' (or format 'duckdb' for 'query')")
        return self


class DataSpec(_Strict):
    """The data section: source, target and column handling."""

    source: SourceSpec
    target: str | None = Field(None, description="Column to predict.")
    drop: list[str] = Field(default_factory=list, description="Columns to leave out of features.")
    types: dict[
        str, Literal["numeric", "categorical", "boolean", "datetime", "text", "identifier"]
    ] = Field(default_factory=dict, description="Column types set by hand, overriding inference.")
    target_map: dict[str, str] = Field(
        default_factory=dict, description="Rewrite target labels, e.g. {'>50K.': '>50K'}."
    )


class SplitSpec(_Strict):
    """How rows are divided into train, validation and test."""

    method: Literal["auto", "random", "stratified", "group", "time", "column"] = "auto"
    train: float = Field(0.70, gt=0, lt=1)
    validation: float = Field(0.15, ge=0, lt=1)
    test: float = Field(0.15, ge=0, lt=1)
    group_column: str | None = None
    time_column: str | None = None
    column: str | None = Field(None, description="Column holding train/validation/test labels.")
    folds: int | None = Field(None, ge=2, description="k-fold on the training part.")

    @model_validator(mode="after")
    def _consistent(self):
        total = self.train + self.validation + self.test
        if abs(total - 1.0) > 1e-6:
            raise ValueError(
                f"split ratios must add up to 1, got train={self.train} + validation="
                f"{self.validation} + test={self.test} = {total:g}"
            )
        needs = {"group": "group_column", "time": "time_column", "column": "column"}
        if self.method in needs and getattr(self, needs[self.method]) is None:
            raise ValueError(f"split method '{self.method}' needs '{needs[self.method]}'")
        return self


DEFAULT_LEARNER = "lightgbm"  # a strong default on tables; trained when a spec names none


class ModelSpec(_Strict):
    """Which learner to train, with which hyperparameters.

    ``threshold`` names the metric a binary classifier's decision threshold is tuned for on the
    validation rows (``none`` keeps 0.5).
    """

    learner: str = Field(DEFAULT_LEARNER, description="Learner name (modelyard learners).")
    params: dict[str, Any] = Field(default_factory=dict)
    threshold: Literal["f1", "balanced_accuracy", "none"] = "f1"

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, value):
        return {"learner": value} if isinstance(value, str) else value


class EvaluationSpec(_Strict):
    """How the final evaluation on the test rows is computed and reported."""

    metric: str | None = Field(
        None,
        description="Primary metric (default: roc_auc for binary, "
        "accuracy for multiclass, rmse for regression).",
    )
    bootstrap: int = Field(1000, ge=10, description="Bootstrap resamples for 95% intervals.")
    overfit_threshold: float = Field(0.05, gt=0, description="Train/validation gap that warns.")
    importance: bool = Field(True, description="Permutation importance on the validation rows.")
    latency: bool = Field(True, description="Measure latency and throughput of the saved model.")


class CostSpec(_Strict):
    """Prices for the cost KPIs."""

    cpu_hour: float = Field(
        0.05, gt=0, description="USD per CPU-hour (default: a typical on-demand cloud vCPU-hour)."
    )
    prediction_cpus: int | None = Field(
        None,
        ge=1,
        description="CPUs one serving replica holds: latency and throughput are measured with "
        "prediction pinned to that many threads, and predictions are priced at that many CPUs "
        "(default: every CPU the process may use, as `modelyard serve` predicts).",
    )


UNSEEN_CATEGORIES = ("error", "warn", "ignore")
UNSEEN_CATEGORIES_TAG = "unseen_categories"  # the version tag predict.unseen_categories goes to


class PredictSpec(_Strict):
    """How the registered model treats input rows when it predicts (``modelyard predict`` and
    the model server alike); recorded with the version, which applies it wherever it serves."""

    unseen_categories: Literal["error", "warn", "ignore"] = Field(
        "warn",
        description="A categorical value no training row held: 'error' refuses the rows (HTTP "
        "422, exit 2) naming column, rows and value; 'warn' scores them and reports a count per "
        "column with the answer; 'ignore' scores them without a word. The server's /metrics "
        "counts them whatever the choice.",
    )


class Spec(_Strict):
    """A whole modelyard spec."""

    name: str | None = Field(None, description="Model name in the registry.")
    data: DataSpec
    task: Literal["auto", "binary", "multiclass", "regression", "forecast"] = "auto"
    forecast: ForecastSpec | None = Field(
        None, description="Time column, series, horizon and covariates (task: forecast)."
    )
    split: SplitSpec = Field(default_factory=SplitSpec)
    model: ModelSpec | None = Field(None, description="Learner to train (name or mapping).")
    search: SearchSpec | None = Field(
        None, description="Search learners, hyperparameters and an ensemble under a budget."
    )
    evaluation: EvaluationSpec = Field(default_factory=EvaluationSpec)
    costs: CostSpec = Field(default_factory=CostSpec)
    predict: PredictSpec = Field(
        default_factory=PredictSpec, description="How the model treats inputs when it predicts."
    )
    monitoring: MonitoringSpec = Field(
        default_factory=MonitoringSpec, description="Drift thresholds (modelyard monitor drift)."
    )
    retrain: RetrainSpec | None = Field(None, description="When to retrain; what promotes.")
    seed: Annotated[int, Field(ge=0)] = 42

    @field_validator("name")
    @classmethod
    def _name_rule(cls, value: str | None) -> str | None:
        if value is not None and not is_name(value):
            raise ValueError(f"a model name is {NAME_RULE}, e.g. churn or churn-classifier")
        return value

    @model_validator(mode="before")
    @classmethod
    def _default_model(cls, value):
        """A spec with neither a model nor a search trains the default learner."""
        if isinstance(value, dict) and value.get("model") is None \
                and value.get("search") is None:
            return {**value, "model": {"learner": DEFAULT_LEARNER}}
        return value

    @model_validator(mode="after")
    def _model_or_search(self):
        if self.model is not None and self.search is not None:
            raise ValueError(
                "give either 'model' (train one learner) or 'search' (find the best one), not both"
            )
        return self

    @model_validator(mode="after")
    def _forecast_section(self):
        if (self.task == "forecast") != (self.forecast is not None):
            raise ValueError(
                "'task: forecast' and a 'forecast' section (time_column, horizon, ...) go together"
                if self.task == "forecast" else
                "a 'forecast' section needs 'task: forecast' (it says how to read series)"
            )
        if self.forecast is not None:
            check_forecast_spec(self)
        return self


def check_forecast_spec(spec: Spec) -> None:
    """What a forecast spec must not say: tabular options that have no meaning for series."""
    if spec.data.target is None:
        raise ValueError("a forecast needs data.target: the column whose future is forecast")
    if spec.split != SplitSpec():
        raise ValueError("a forecast's test window is the last `horizon` points of each series "
                         "and its validation the `forecast.backtest_windows` before them: remove "
                         "the 'split' section")
    search = spec.search
    if search is not None:
        unused = [k for k in ("folds", "max_latency_ms", "metric") if getattr(search, k)]
        unused += ["deploy: bagged"] if search.deploy == "bagged" else []
        if unused:
            raise ValueError(f"search option(s) {unused} do not apply to a forecast: its windows "
                             "are forecast.backtest_windows and its metric forecast.metric")
