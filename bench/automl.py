"""modelyard's search against FLAML, AutoGluon, and LightGBM / HistGradientBoosting / CatBoost
defaults.

Every system gets the same rows: one seeded split per dataset (stratified for classification; adult
uses its own train and test files), the same time limit for the AutoML systems, and is scored with
the catalog's metric on the test rows, which only this script ever sees. modelyard, modelyard with
its opt-in CatBoost learner added to the search (``modelyard_catboost``) and the three default
baselines run in this process; FLAML (``flaml[automl]``) and AutoGluon
(``autogluon.tabular``, presets medium_quality) run in subprocesses of a separate virtual
environment, ``bench/.peers-venv``, created and filled by ``--setup-peers``; data goes to them as
parquet files and predictions come back as parquet (``bench/automl_peer.py``).

    .venv/bin/python bench/automl.py --setup-peers              # once: create the peers venv
    .venv/bin/python bench/automl.py                            # quick: 3 datasets, 60 s
    .venv/bin/python bench/automl.py --datasets all --budgets 60 300 --systems all

Writes a markdown table to stdout and every number to ``bench/results/automl.json`` (committed, so a
later run can ``--merge`` into it).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import average_precision_score, mean_squared_error, roc_auc_score
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
PEERS_VENV = ROOT / "bench" / ".peers-venv"
OUT = ROOT / "bench" / "results" / "automl.json"
DATASETS = ("adult", "bank_marketing", "california_housing", "credit_g", "phoneme", "kc1",
            "diamonds", "house_prices_ames", "telco_churn", "vehicle_insurance_fraud", "ai4i2020")
QUICK = ("telco_churn", "credit_g", "kc1")
SYSTEMS = ("modelyard", "flaml", "autogluon", "lightgbm", "hgb", "catboost", "modelyard_catboost")
DEFAULTS = ("lightgbm", "hgb", "catboost")  # one library's defaults: no budget, run once
PEERS = ("flaml", "autogluon")
TEST_FRACTION = 0.2
NUMERIC_SHARE = 0.95  # text columns whose non-blank cells parse as numbers this often are numeric


# -- data ---------------------------------------------------------------------------------------
def _read(entry: dict, path: Path) -> pd.DataFrame:
    header = entry.get("header", True)
    return pd.read_csv(
        path, header=0 if header else None, names=entry.get("columns"),
        skipinitialspace=entry.get("skip_initial_space", False),
        na_values=entry.get("missing_values"), encoding=entry.get("encoding", "utf-8"),
    )


def _light_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers-as-text become numbers (blank -> missing); other text stays text."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            text = out[col].astype("string").str.strip().replace("", pd.NA)
            parsed = pd.to_numeric(text, errors="coerce")
            present = text.notna().sum()
            if present and parsed.notna().sum() >= NUMERIC_SHARE * present:
                out[col] = parsed.astype(float)
            else:
                out[col] = text.astype(object).where(text.notna(), None)
    return out


def _safe_name(name: str) -> str:
    """Column names without the characters LightGBM (and so FLAML) reject: []{}:,\"<>."""
    return re.sub(r'[\[\]{}:,"<>]', "_", str(name)).strip("_ ") or "column"


def load(name: str, seed: int) -> dict:
    """Train and test frames (features + target), task, target and metric of one dataset."""
    entry = yaml.safe_load((DATA / "catalog.yaml").read_text())[name]
    target, task, metric = entry["target"], entry["task"], entry["metric"]
    drop = list(entry.get("id_columns", [])) + list(entry.get("leaky_columns", []))
    if isinstance(entry["path"], dict):  # shipped split: adult
        train = _read(entry, DATA / entry["path"]["train"])
        test = _read(entry, DATA / entry["path"]["test"])
    else:
        frame = _read(entry, DATA / entry["path"])
        frame = frame[frame[target].notna()].reset_index(drop=True)
        labels = frame[target].astype(str) if task != "regression" else None
        train, test = train_test_split(frame, test_size=TEST_FRACTION, random_state=seed,
                                       stratify=labels)
    train, test = (_light_types(f.drop(columns=drop)).rename(columns=_safe_name)
                   for f in (train, test))
    target = _safe_name(target)
    if task != "regression":
        for part in (train, test):  # adult's test labels end with a period
            part[target] = part[target].astype(str).str.strip().str.rstrip(".")
        positive = sorted(train[target].unique())[-1]
    else:
        positive = None
    return {"name": name, "train": train.reset_index(drop=True),
            "test": test.reset_index(drop=True), "target": target, "task": task,
            "metric": metric, "positive": positive}


def score(metric: str, truth: np.ndarray, prediction: np.ndarray) -> float:
    if metric == "roc_auc":
        return float(roc_auc_score(truth, prediction))
    if metric == "average_precision":
        return float(average_precision_score(truth, prediction))
    if metric == "rmse":
        return float(np.sqrt(mean_squared_error(truth, prediction)))
    raise SystemExit(f"metric {metric!r} is not supported by this benchmark")


def truth_of(ds: dict) -> np.ndarray:
    y = ds["test"][ds["target"]]
    return (y == ds["positive"]).to_numpy(int) if ds["task"] == "binary" else y.to_numpy(float)


# -- systems ------------------------------------------------------------------------------------
def run_modelyard(ds: dict, budget: float, seed: int, cores: int,
                  extra: tuple[str, ...] = ()) -> tuple[np.ndarray, dict]:
    """modelyard's search over its default learners, plus ``extra`` ones (opt-in learners)."""
    from modelyard.data.infer import check_schema, infer_schema
    from modelyard.learners.base import available
    from modelyard.search import search

    target = ds["target"]
    frame, schema = infer_schema(ds["train"], target=target)
    if ds["task"] == "binary":  # code 1 is the positive class
        negative = [c for c in sorted(ds["train"][target].unique()) if c != ds["positive"]]
        classes = [*negative, ds["positive"]]
        y = (ds["train"][target] == ds["positive"]).to_numpy(np.int64)
    else:
        classes, y = None, ds["train"][target].to_numpy(float)
    learners = [name for name, cls in available(ds["task"]).items()
                if cls.searched_by_default or name in extra]
    result = search(frame[schema.names], y, schema=schema, task=ds["task"], metric=ds["metric"],
                    time_budget=budget, seed=seed, classes=classes, parallel=cores,
                    learners=learners)
    rows = check_schema(ds["test"].drop(columns=[target]), schema)
    model = result.model
    prediction = model.predict_proba(rows)[:, 1] if ds["task"] == "binary" else model.predict(rows)
    best = result.best_single
    info = {"trials": len(result.leaderboard), "oof_score": result.oof_score,
            "best_single": f"{best['learner']} {best['score']:.4g}",
            "members": sorted({e.learner for e in result.leaderboard.entries if e.weight > 0})}
    return prediction, info


def _categorical(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].astype("category")
    return out


def _aligned(ds: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test features with the same category levels (taken from the training rows)."""
    target = ds["target"]
    train = _categorical(ds["train"].drop(columns=[target]))
    test = ds["test"].drop(columns=[target]).copy()
    for col in train.columns:
        if isinstance(train[col].dtype, pd.CategoricalDtype):
            levels = train[col].cat.categories
            test[col] = pd.Categorical(test[col].where(test[col].isin(levels)), categories=levels)
    return train, test


def run_lightgbm(ds: dict, budget: float, seed: int, cores: int) -> tuple[np.ndarray, dict]:
    import lightgbm as lgb

    train, test = _aligned(ds)
    y = ds["train"][ds["target"]]
    if ds["task"] == "binary":
        model = lgb.LGBMClassifier(random_state=seed, n_jobs=cores, verbose=-1)
        model.fit(train, (y == ds["positive"]).astype(int))
        return model.predict_proba(test)[:, 1], {}
    model = lgb.LGBMRegressor(random_state=seed, n_jobs=cores, verbose=-1)
    return model.fit(train, y).predict(test), {}


def run_hgb(ds: dict, budget: float, seed: int, cores: int) -> tuple[np.ndarray, dict]:
    train, test = _aligned(ds)
    for frame in (train, test):  # HGB takes at most 255 categories: code the wider ones
        for col in frame.columns:
            if isinstance(frame[col].dtype, pd.CategoricalDtype) and \
                    len(frame[col].cat.categories) > 250:
                frame[col] = frame[col].cat.codes.replace(-1, np.nan).astype(float)
    y = ds["train"][ds["target"]]
    if ds["task"] == "binary":
        model = HistGradientBoostingClassifier(random_state=seed)
        model.fit(train, (y == ds["positive"]).astype(int))
        return model.predict_proba(test)[:, 1], {}
    return HistGradientBoostingRegressor(random_state=seed).fit(train, y).predict(test), {}


def run_catboost(ds: dict, budget: float, seed: int, cores: int) -> tuple[np.ndarray, dict]:
    """CatBoost's defaults (1,000 trees, learning rate chosen by CatBoost), text columns as its
    categorical features (integer codes, -1 for missing or unseen)."""
    import catboost as cb

    train, test = _aligned(ds)
    cats = [c for c in train.columns if isinstance(train[c].dtype, pd.CategoricalDtype)]
    for frame in (train, test):
        for col in cats:
            frame[col] = frame[col].cat.codes.astype(np.int32)
    common = {"random_seed": seed, "thread_count": cores, "verbose": False,
              "allow_writing_files": False, "cat_features": cats}
    y = ds["train"][ds["target"]]
    if ds["task"] == "binary":
        model = cb.CatBoostClassifier(**common).fit(train, (y == ds["positive"]).astype(int))
        return model.predict_proba(test)[:, 1], {"trees": model.tree_count_}
    model = cb.CatBoostRegressor(**common).fit(train, y)
    return model.predict(test), {"trees": model.tree_count_}


def run_peer(system: str, ds: dict, budget: float, seed: int,
             cores: int) -> tuple[np.ndarray, dict]:
    python = PEERS_VENV / "bin" / "python"
    if not python.is_file():
        raise RuntimeError(f"no peers venv at {PEERS_VENV}; run with --setup-peers first")
    with tempfile.TemporaryDirectory(prefix=f"automl-{system}-") as tmp:
        job_dir = Path(tmp)
        train = ds["train"].copy()
        if ds["task"] == "binary":
            train[ds["target"]] = (train[ds["target"]] == ds["positive"]).astype(int)
        train.to_parquet(job_dir / "train.parquet")
        ds["test"].drop(columns=[ds["target"]]).to_parquet(job_dir / "test.parquet")
        job = {"system": system, "task": ds["task"], "target": ds["target"],
               "metric": ds["metric"], "time_limit": budget, "seed": seed, "cores": cores}
        (job_dir / "job.json").write_text(json.dumps(job))
        done = subprocess.run([str(python), str(ROOT / "bench" / "automl_peer.py"), tmp],
                              capture_output=True, text=True, timeout=budget * 3 + 600)
        if done.returncode != 0:
            raise RuntimeError(f"{system} failed: {done.stderr.strip().splitlines()[-1:]}")
        prediction = pd.read_parquet(job_dir / "predictions.parquet")["prediction"].to_numpy()
        return prediction, json.loads((job_dir / "result.json").read_text())


RUNNERS = {"modelyard": run_modelyard, "lightgbm": run_lightgbm, "hgb": run_hgb,
           "catboost": run_catboost,
           "modelyard_catboost": lambda ds, budget, seed, cores:
               run_modelyard(ds, budget, seed, cores, extra=("catboost",))}


def run_one(system: str, ds: dict, budget: float, seed: int, cores: int) -> dict:
    started = time.perf_counter()
    record = {"dataset": ds["name"], "budget": budget, "system": system, "metric": ds["metric"],
              "cores": cores, "seed": seed, "n_train": len(ds["train"]), "n_test": len(ds["test"])}
    try:
        if system in PEERS:
            prediction, info = run_peer(system, ds, budget, seed, cores)
        else:
            prediction, info = RUNNERS[system](ds, budget, seed, cores)
        record.update(score=score(ds["metric"], truth_of(ds), prediction), info=info)
    except Exception as err:  # noqa: BLE001 - a system that fails is reported, the run goes on
        record.update(score=None, error=f"{type(err).__name__}: {err}"[:400])
    record["seconds"] = round(time.perf_counter() - started, 1)
    print(f"  {ds['name']:24s} {budget:>5g}s {system:10s} {record.get('score')} "
          f"({record['seconds']} s) {record.get('error', '')}", file=sys.stderr, flush=True)
    return record


def setup_peers() -> None:
    """Create bench/.peers-venv with FLAML and AutoGluon (torch pinned first, from local disk)."""
    if not (PEERS_VENV / "bin" / "python").is_file():
        subprocess.run(["python3", "-m", "venv", str(PEERS_VENV)], check=True)
    pip = [str(PEERS_VENV / "bin" / "pip"), "install", "-q"]
    subprocess.run([*pip, "flaml[automl]", "pyarrow"], check=True)
    subprocess.run([*pip, "torch==2.13.0"], check=True)
    subprocess.run([*pip, "autogluon.tabular[catboost,lightgbm,xgboost]"], check=True)


# -- report -------------------------------------------------------------------------------------
def markdown(records: list[dict], systems: list[str]) -> str:
    """One row per dataset, budget and core count; the best score of a row in bold."""
    lower = {"rmse"}
    lines = ["| dataset | metric | budget | cores | seed | " + " | ".join(systems) + " |",
             "|---|---|---|---|---|" + "---|" * len(systems)]
    keys = sorted({(r["dataset"], *_setting(r)) for r in records},
                  key=lambda k: (k[3], -(k[2] or 0), k[1], DATASETS.index(k[0])
                                 if k[0] in DATASETS else 99))
    for dataset, budget, cores, seed in keys:
        row = {r["system"]: r for r in records if (r["dataset"], *_setting(r)) ==
               (dataset, budget, cores, seed)}
        metric = next(iter(row.values()))["metric"]
        scores = {s: row[s]["score"] for s in systems if s in row and row[s]["score"] is not None}
        best = (min if metric in lower else max)(scores.values()) if scores else None
        cells = []
        for system in systems:
            value = scores.get(system)
            text = ("–" if system not in row else "n/a" if value is None
                    else f"{value:.4f}" if value < 100 else f"{value:,.0f}")
            cells.append(f"**{text}**" if value is not None and value == best else text)
        lines.append(f"| {dataset} | {metric} | {budget:g} s | {cores} | {seed} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines)


def _setting(record: dict) -> tuple[float, int | None, int]:
    """What a row of the table shares: budget, cores and split seed."""
    return record["budget"], record.get("cores"), record.get("seed", 0)


def _better(metric: str, ours: float, theirs: float) -> float:
    """Relative advantage of ``ours`` over ``theirs`` (positive: ours is better)."""
    gain = (ours - theirs) if metric not in ("rmse",) else (theirs - ours)
    return gain / abs(theirs)


def summary(records: list[dict]) -> str:
    """The issue's targets per budget, cores and split seed: wins over FLAML, mean gap to
    AutoGluon, worst gap to LightGBM defaults; then the mean gap to LightGBM over split seeds."""
    lines = []
    settings = sorted({_setting(r) for r in records if r["system"] == "modelyard"})
    for setting in settings:
        for peer, what in (("flaml", "wins"), ("autogluon", "mean"), ("lightgbm", "worst")):
            gaps = _gaps(records, setting, peer)
            if not gaps:
                continue
            if what == "wins":
                text = f"better than FLAML on {sum(g > 0 for g in gaps.values())} of {len(gaps)}"
            elif what == "mean":
                text = (f"mean relative gap to AutoGluon "
                        f"{100 * sum(gaps.values()) / len(gaps):+.2f}% over {len(gaps)}")
            else:
                worst = min(gaps, key=gaps.get)
                behind = sorted(n for n, g in gaps.items() if g < -0.01)
                text = (f"worst relative gap to LightGBM defaults {100 * gaps[worst]:+.2f}% "
                        f"({worst}); more than 1% behind on {len(behind)} of {len(gaps)}"
                        + (f": {', '.join(behind)}" if behind else ""))
            budget, cores, seed = setting
            lines.append(f"- {budget:g} s, {cores} cores, split seed {seed}: {text} "
                         "(positive: modelyard better)")
    for budget, cores in sorted({setting[:2] for setting in settings}):
        by_dataset: dict[str, list[float]] = {}
        for setting in settings:
            if setting[:2] == (budget, cores):
                for name, gap in _gaps(records, setting, "lightgbm").items():
                    by_dataset.setdefault(name, []).append(gap)
        several = {name: g for name, g in sorted(by_dataset.items()) if len(g) > 1}
        if several:
            text = ", ".join(f"{name} {100 * np.mean(g):+.2f}% over {len(g)} seeds"
                             for name, g in several.items())
            lines.append(f"- {budget:g} s, {cores} cores: mean gap to LightGBM defaults: {text}")
    return "\n".join(lines)


def _gaps(records: list[dict], setting: tuple, peer: str) -> dict[str, float]:
    """modelyard's relative advantage over ``peer`` per dataset at ``setting``. LightGBM
    defaults do not depend on budget or cores: only the split seed has to match."""
    ours = {r["dataset"]: r for r in records if r["system"] == "modelyard"
            and _setting(r) == setting and r["score"] is not None}
    return {r["dataset"]: _better(r["metric"], ours[r["dataset"]]["score"], r["score"])
            for r in records if r["system"] == peer and r["score"] is not None
            and r["dataset"] in ours
            and (_setting(r) == setting if peer != "lightgbm" else _setting(r)[2] == setting[2])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(QUICK),
                        help=f"names from the catalog, or 'all' ({', '.join(DATASETS)})")
    parser.add_argument("--budgets", nargs="+", type=float, default=[60.0])
    parser.add_argument("--systems", nargs="+", default=["modelyard", "flaml", "lightgbm", "hgb"],
                        help=f"any of {', '.join(SYSTEMS)}, or 'all'")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1,
                        help="CPU cores every system may use (modelyard: parallel trials)")
    parser.add_argument("--setup-peers", action="store_true", help="create bench/.peers-venv")
    parser.add_argument("--merge", action="store_true",
                        help="keep the records already in bench/results/automl.json that this run "
                        "does not redo (to build the full table in pieces)")
    args = parser.parse_args()
    if args.setup_peers:
        setup_peers()
        return
    datasets = list(DATASETS) if args.datasets == ["all"] else args.datasets
    systems = list(SYSTEMS) if args.systems == ["all"] else args.systems
    unknown = sorted(set(datasets) - set(DATASETS)) + sorted(set(systems) - set(SYSTEMS))
    if unknown:
        raise SystemExit(f"unknown dataset(s)/system(s) {unknown}; valid datasets: "
                         f"{', '.join(DATASETS)}; systems: {', '.join(SYSTEMS)}")
    records: list[dict] = []
    command = " ".join(sys.argv)
    for name in datasets:
        ds = load(name, args.seed)
        for budget in args.budgets:
            for system in systems:
                if system in DEFAULTS and budget != args.budgets[0]:
                    continue  # defaults do not depend on the budget
                records.append(run_one(system, ds, budget, args.seed, args.cores))
                merged = save(records, command, args.merge, args.cores)
    if not records:
        return
    shown = merged if args.merge else records
    systems = [s for s in SYSTEMS if any(r["system"] == s for r in shown)]
    print(markdown(shown, systems))
    print()
    print(summary(shown))


def save(records: list[dict], command: str, merge: bool, cores: int) -> list[dict]:
    """Write this run's records (after each one, so a killed run keeps what it finished).

    With ``merge``, records already in the file that this run did not redo are kept; the file is
    locked while it is read and written, so two runs side by side (``--cores 1`` each) can share it.
    """
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        previous = json.loads(OUT.read_text()) if merge and OUT.is_file() else {}
        for old in previous.get("records", []):  # files written before records named their cores
            old.setdefault("cores", previous.get("cores"))
            old.setdefault("seed", 0)
        redone = {_key(r) for r in records}
        kept = [r for r in previous.get("records", []) if _key(r) not in redone]
        commands = [c for c in previous.get("commands", []) if c != command] + [command]
        merged = kept + records
        tmp = OUT.with_suffix(".tmp")
        tmp.write_text(json.dumps({"commands": commands, "records": merged}, indent=2,
                                  default=str))
        tmp.replace(OUT)
    return merged


def _key(record: dict) -> tuple:
    return record["dataset"], *_setting(record), record["system"]

if __name__ == "__main__":
    main()
