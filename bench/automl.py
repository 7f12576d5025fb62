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

Every record goes to ``bench/results/automl.json`` (committed) through ``bench/record.py``, stamped
with the commit, library versions (the peer venv's too, with the learners it searched), cores, load
and command; a record this run redoes stays in the file, marked superseded. Prints the table and
the issue's target lines of the records now current (``bench/tables.py`` puts them in the README).
"""

from __future__ import annotations

import argparse
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
import record
import yaml
from automl_report import DATASETS, SYSTEMS, _setting, markdown, summary
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.metrics import average_precision_score, mean_squared_error, roc_auc_score
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
PEERS_VENV = ROOT / "bench" / ".peers-venv"
PEERS_REQUIREMENTS = ROOT / "bench" / "peers-requirements.txt"
LIBRARIES = ("pyyaml", "pyarrow")  # besides record.BASE_LIBRARIES
QUICK = ("telco_churn", "credit_g", "kc1")
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
    from modelyard.model import Labels
    from modelyard.search import search

    target = ds["target"]
    frame, schema = infer_schema(ds["train"], target=target)
    if ds["task"] == "binary":  # code 1 is the positive class
        negative = [c for c in sorted(ds["train"][target].unique()) if c != ds["positive"]]
        labels = Labels([*negative, ds["positive"]])
        y = labels.encode(ds["train"][target])
    else:
        labels, y = None, ds["train"][target].to_numpy(float)
    learners = [name for name, cls in available(ds["task"]).items()
                if cls.searched_by_default or name in extra]
    result = search(frame[schema.names], y, schema=schema, task=ds["task"], metric=ds["metric"],
                    time_budget=budget, seed=seed, labels=labels, parallel=cores,
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
        # cwd: the job folder, where peers that write files of their own (CatBoost's
        # catboost_info/, AutoGluon's models) leave them, not the checkout
        done = subprocess.run([str(python), str(ROOT / "bench" / "automl_peer.py"), tmp],
                              capture_output=True, text=True, timeout=budget * 3 + 600,
                              cwd=job_dir)
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
    out = {"dataset": ds["name"], "budget": budget, "system": system, "metric": ds["metric"],
           "cores": cores, "seed": seed, "n_train": len(ds["train"]), "n_test": len(ds["test"])}
    try:
        if system in PEERS:
            prediction, info = run_peer(system, ds, budget, seed, cores)
            out["peer"] = info.pop("peer", None)  # the peer venv's versions and learners
        else:
            prediction, info = RUNNERS[system](ds, budget, seed, cores)
        out.update(score=score(ds["metric"], truth_of(ds), prediction), info=info)
    except Exception as err:  # noqa: BLE001 - a system that fails is reported, the run goes on
        out.update(score=None, error=f"{type(err).__name__}: {err}"[:400])
    out["seconds"] = round(time.perf_counter() - started, 1)
    print(f"  {ds['name']:24s} {budget:>5g}s {system:10s} {out.get('score')} "
          f"({out['seconds']} s) {out.get('error', '')}", file=sys.stderr, flush=True)
    return out


def setup_peers() -> None:
    """Create bench/.peers-venv and install the pinned peers (``bench/peers-requirements.txt``:
    FLAML, AutoGluon and the learners they search, CatBoost and XGBoost included), then check that
    every learner the peers are run with imports."""
    if not (PEERS_VENV / "pyvenv.cfg").is_file():
        subprocess.run(["python3", "-m", "venv", str(PEERS_VENV)], check=True)
    python = str(PEERS_VENV / "bin" / "python")
    # never install into the interpreter the venv was made from
    subprocess.run([python, "-c", "import sys; assert sys.prefix != sys.base_prefix, sys.prefix"],
                   check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "-r", str(PEERS_REQUIREMENTS)],
                   check=True)
    check = ("import json, automl_peer; print(json.dumps(automl_peer.versions(), indent=1)); "
             "automl_peer.require_learners()")
    subprocess.run([python, "-c", check], check=True, cwd=ROOT / "bench")


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
    parser.add_argument("--setup-peers", action="store_true",
                        help="create bench/.peers-venv from bench/peers-requirements.txt")
    parser.add_argument("--merge", action="store_true",
                        help="accepted for older command lines: every run now adds to "
                        "bench/results/automl.json, and a record this run redoes is kept there, "
                        "marked superseded")
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
    stamper = record.Stamper(LIBRARIES)
    command = " ".join(sys.argv)
    ran = 0
    for name in datasets:
        ds = load(name, args.seed)
        for budget in args.budgets:
            for system in systems:
                if system in DEFAULTS and budget != args.budgets[0]:
                    continue  # defaults do not depend on the budget
                stamper.start()
                done = run_one(system, ds, budget, args.seed, args.cores)
                done["stamp"] = stamper.stamp(**({"peer": done.pop("peer")}
                                                 if "peer" in done else {}))
                # written after each system, so a killed run keeps what it finished
                record.add("automl", [done], key=_key, command=command)
                ran += 1
    if not ran:
        return
    shown = record.current("automl")
    systems = [s for s in SYSTEMS if any(r["system"] == s for r in shown)]
    print(markdown(shown, systems))
    print()
    print(summary(shown))


def _key(r: dict) -> tuple:
    """What a record measures: a later record with the same key supersedes it."""
    return r["dataset"], *_setting(r), r["system"]


if __name__ == "__main__":
    main()
