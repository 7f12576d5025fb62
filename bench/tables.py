"""Build the tables of bench/README.md from the raw results in bench/results/.

Every table of the README sits between ``<!-- table:NAME -->`` and ``<!-- /table -->``; this
script rewrites what is between the markers from ``bench/results/<file>.json`` and leaves the
prose around them alone. Only records that no newer record superseded are shown.

    .venv/bin/python bench/tables.py            # rewrite the tables in bench/README.md
    .venv/bin/python bench/tables.py --check    # exit 1, showing the difference, if out of date
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from collections.abc import Callable
from pathlib import Path

import automl_report
import record
import train_budget

README = Path(__file__).resolve().parent / "README.md"
BLOCK = re.compile(r"(<!-- table:([a-z_]+) -->\n)(.*?)(<!-- /table -->)", re.DOTALL)
TYPED = "typed"  # origin of the numbers hand-typed in the README before raw results were kept


# -- shared cells ---------------------------------------------------------------------------------
def _n(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}"


def _code(r: dict) -> str:
    """The commit measured, ``+`` when the tree had uncommitted changes; the source otherwise."""
    stamp = r.get("stamp")
    if not stamp:
        return "typed" if r.get("origin") == TYPED else "–"
    commit = (stamp.get("commit") or "?")[:7]
    return commit + ("+" if stamp.get("dirty") else "")


def _when(r: dict) -> str:
    stamp = r.get("stamp")
    return stamp["date"][:10] if stamp else r.get("date", "–")


def _load(r: dict) -> str:
    """1-minute load average at the start and the end of the measurement."""
    stamp = r.get("stamp")
    if not stamp:
        return "–"
    return f"{stamp['load']['start'][0]:.1f} → {stamp['load']['end'][0]:.1f}"


def _provenance(r: dict) -> list[str]:
    return [_code(r), _when(r), f"{r['stamp']['cpus']['affinity']}" if "stamp" in r else "–",
            _load(r)]


PROVENANCE = ["code", "date", "cores", "load"]


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _typed_and_current(name: str) -> tuple[list[dict], list[dict]]:
    records = record.read(name)["records"]
    typed = [r for r in records if r.get("origin") == TYPED]
    return typed, [r for r in records if not r.get("superseded") and r.get("origin") != TYPED]


# -- one function per table -----------------------------------------------------------------------
def train_loop() -> str:
    rows = [[_n(r["rows"]), str(r["epochs"]), str(r["batch_size"]), str(r["threads"]),
             _n(r["hand_samples_per_s"]), _n(r["trainer_samples_per_s"]),
             f"**{r['ratio']:.2f}**", *_provenance(r)]
            for r in record.current("train_loop")]
    return _table(["rows", "epochs", "batch", "threads", "hand-written, samples/s",
                   "`Trainer`, samples/s", "ratio (target ≥ 0.9)", *PROVENANCE], rows)


def lgbm_memory() -> str:
    def imports(r: dict) -> str:
        if "modelyard_imports_mb" not in r:
            return "–"
        return f"{r['lightgbm_imports_mb']:,.1f} / {r['modelyard_imports_mb']:,.1f}"

    rows = [[Path(r["data"]).name, str(r["rounds"]), _n(r["lightgbm_peak_mb"], 1),
             _n(r["modelyard_peak_mb"], 1), f"**{r['ratio']:.2f}**", imports(r),
             *_provenance(r)]
            for r in record.current("lgbm_memory")]
    return _table(["data", "trees", "LightGBM direct, peak MB", "modelyard, peak MB",
                   "ratio (target ≤ 1.5)", "imports alone, MB (LightGBM / modelyard)",
                   *PROVENANCE], rows)


def fashion_mnist() -> str:
    def acc(r: dict, part: str) -> str:
        value = r["accuracy"].get(part)
        return "–" if value is None else f"{value:.3f}"

    rows = [[f"**{acc(r, 'test')}**", acc(r, "validation"), acc(r, "train"),
             str(r.get("epochs", "–")), f"{r['seconds']:.0f}", *_provenance(r)]
            for r in record.current("fashion_mnist")]
    return _table(["test accuracy (target ≥ 0.87)", "validation", "train", "epochs",
                   "whole train, s", *PROVENANCE], rows)


QUERY_LABELS = {"list_runs first page": "list, first page",
                "roc_auc > 0.9 by roc_auc": "metric search"}


def registry() -> str:
    current = record.current("registry")
    sizes = sorted({tuple(r["sizes"]) for r in current})
    rows = [[r.get("server", r["backend"]), QUERY_LABELS.get(r["query"], r["query"]),
             f"{r['median_ms'][0]:.2f}", f"{r['median_ms'][1]:.2f}", f"**{r['ratio']:.2f}**",
             *_provenance(r)]
            for r in sorted(current, key=lambda r: (r["backend"] != "sqlite", r["query"]))]
    small, large = (f"{s // 1000}k" for s in sizes[0]) if len(sizes) == 1 else ("small", "large")
    return _table(["backend", "query", f"{small} runs, ms", f"{large} runs, ms",
                   "ratio (target ≤ 2)", *PROVENANCE], rows)


def _serve_target(r: dict) -> str:
    """Records since the single-row path (issue 19) carry its targets: p50 <= 2 ms, <= 0.3x."""
    if "in_process_predict_row" in r:
        return f"target ≤ 0.3; p50 {r['modelyard']['p50_ms']:.2f} ms, target ≤ 2"
    return "target ≤ 1.5"


def serve() -> str:
    blocks = []
    for r in record.current("serve"):
        mine, peer, local = r["modelyard"], r["minimal"], r["in_process_predict"]
        rows = [
            ["modelyard HTTP, 1 record", f"{mine['p50_ms']:.2f}", f"{mine['p99_ms']:.2f}",
             _n(mine["requests_per_s"])],
            ["minimal FastAPI endpoint", f"{peer['p50_ms']:.2f}", f"{peer['p99_ms']:.2f}",
             _n(peer["requests_per_s"])],
            ["in-process `bundle.predict`, 1 row", f"{local['p50_ms']:.2f}",
             f"{local['p99_ms']:.2f}", ""],
            *([["in-process `bundle.predict_row`, 1 record",
                f"{r['in_process_predict_row']['p50_ms']:.3f}",
                f"{r['in_process_predict_row']['p99_ms']:.3f}", ""]]
              if "in_process_predict_row" in r else []),
            [f"modelyard HTTP, {_n(r['batch_rows'])} rows per request", "", "",
             f"{_n(r['batch_rows_per_s'])} rows/s"],
        ]
        blocks.append(
            f"{r['learner']} churn model, {r['requests']} requests per measurement, "
            f"{r['clients']} client threads, {r['rounds']} rounds; code {_code(r)}, "
            f"{_when(r)}, {_provenance(r)[2]} cores, load {_load(r)}.\n\n"
            + _table(["path", "p50 ms", "p99 ms", "requests/s"], rows)
            + f"\n\np50 ratio **{r['p50_ratio']:.2f}** ({_serve_target(r)}), throughput ratio "
            f"**{r['throughput_ratio']:.2f}** (target ≥ 0.7), batching "
            f"**{r['batching_ratio']:.0f}x** the single-record rows/s (target ≥ 20x)."
        )
    return "\n\n".join(blocks)


def predict_latency() -> str:
    rows = [[f"{r['model']}, {r['input']}", f"{r['p50_ms']:.2f} ({r['p99_ms']:.2f})",
             f"{r['floor_p50_ms']:.2f}", f"{r['p50_ms'] / r['floor_p50_ms']:.2f}",
             _n(r["batch_rows_per_s"]), _n(r["floor_batch_rows_per_s"])
             if "floor_batch_rows_per_s" in r else "–", *_provenance(r)]
            for r in record.current("predict_latency")]
    return _table(["model, input", "p50 ms (p99)", "floor p50 ms", "p50 / floor",
                   "batch rows/s", "floor batch rows/s", *PROVENANCE], rows)


def single_row() -> str:
    rows = [[r["model"], f"{r['fast_p50_ms']:.3f} ({r['fast_p99_ms']:.3f})",
             f"{r['batch_p50_ms']:.2f} ({r['batch_p99_ms']:.2f})",
             f"{r['floor_p50_ms']:.3f} ({r['floor_p99_ms']:.3f})",
             f"{r['booster_p50_ms']:.3f}" if "booster_p50_ms" in r else "–",
             f"{r['fast_over_floor']:.2f}", f"{r['batch_over_fast']:.0f}x", str(r["rows"]),
             *_provenance(r)]
            for r in record.current("single_row")]
    return _table(["model", "predict_row p50 ms (p99)", "one-row frame p50 ms (p99)",
                   "floor p50 ms (p99)", "bare booster p50 ms", "fast / floor",
                   "frame / fast", "records", *PROVENANCE], rows)


def predict_batch() -> str:
    rows = []
    for r in record.current("predict_batch"):
        rate, core = r["rows_per_s"], r["rows_per_s_per_core"]
        for name, label in (("cli_end_to_end", "`modelyard predict`, end to end"),
                            ("cli_marginal", "`modelyard predict`, start-up left out"),
                            ("in_process_predict_frame", "in process `predict_frame`"),
                            ("lightgbm_floor", "LightGBM on the encoded matrix (floor)")):
            rows.append([f"{_n(r['rows'])} rows: {label}", _n(rate[name]), _n(core[name]),
                         *_provenance(r)])
    return _table(["path", "rows/s", "rows/s per core (target ≥ 100,000)", *PROVENANCE], rows)


def changes() -> str:
    """The numbers the README showed before raw results were kept, against the current run."""
    rows = []
    typed, now = _typed_and_current("train_loop")
    for old in typed:
        new = _match(old, now, ("rows", "epochs", "batch_size", "threads"))
        rows.append(["training loop", "`Trainer` / hand-written samples/s",
                     f"{old['ratio']:.2f}", _ratio(new, "ratio")])
    typed, now = _typed_and_current("fashion_mnist")
    for old in typed:
        new = _match(old, now, ("spec",))
        rows.append(["Fashion-MNIST", "test accuracy", f"{old['accuracy']['test']:.3f}",
                     f"{new['accuracy']['test']:.3f}" if new else "–"])
    typed, now = _typed_and_current("lgbm_memory")
    for old in typed:
        new = _match(old, now, ("rounds",))
        rows.append(["LightGBM memory", "modelyard / LightGBM peak MB",
                     f"{old['modelyard_peak_mb']:.0f} / {old['lightgbm_peak_mb']:.0f} = "
                     f"{old['ratio']:.2f}",
                     f"{new['modelyard_peak_mb']:.0f} / {new['lightgbm_peak_mb']:.0f} = "
                     f"{new['ratio']:.2f}" if new else "–"])
    typed, now = _typed_and_current("registry")
    for old in typed:
        new = _match(old, now, ("backend", "query"))
        rows.append(["registry", f"{old['backend']}, {QUERY_LABELS[old['query']]}: 100k / 10k",
                     f"{old['ratio']:.2f}", _ratio(new, "ratio")])
    typed, now = _typed_and_current("serve")
    for old in typed:
        new = _match(old, now, ("learner",))
        for field, label in (("p50_ratio", "p50 modelyard / minimal"),
                             ("throughput_ratio", "requests/s modelyard / minimal"),
                             ("batching_ratio", "batch rows/s / single-record rows/s")):
            digits = 0 if field == "batching_ratio" else 2
            rows.append(["serving", label, f"{old[field]:.{digits}f}",
                         _ratio(new, field, digits)])
    typed, now = _typed_and_current("predict_latency")
    for old in typed:
        new = _match(old, now, ("model", "input"))
        rows.append(["single-row latency", f"{old['model']}, {old['input']}: p50 / floor p50",
                     f"{old['p50_ms'] / old['floor_p50_ms']:.2f}",
                     f"{new['p50_ms'] / new['floor_p50_ms']:.2f}" if new else "–"])
    return _table(["benchmark", "measure", "README before (typed)",
                   "now"], rows)


def _match(old: dict, current: list[dict], fields: tuple[str, ...]) -> dict | None:
    found = [r for r in current if all(r.get(f) == old.get(f) for f in fields)]
    return found[-1] if found else None


def _ratio(new: dict | None, field: str, digits: int = 2) -> str:
    return "–" if new is None else f"{new[field]:.{digits}f}"


def automl() -> str:
    shown = record.current("automl")
    systems = [s for s in automl_report.SYSTEMS if any(r["system"] == s for r in shown)]
    return automl_report.markdown(shown, systems)


def automl_peers() -> str:
    """Who ran the current peer rows: versions, learners, date and load, per system and seed."""
    groups: dict[tuple, list[dict]] = {}
    for r in record.current("automl"):
        if r["system"] in ("flaml", "autogluon"):
            groups.setdefault((r["system"], r["budget"], r["seed"]), []).append(r)
    rows = []
    for (system, budget, seed), group in sorted(groups.items()):
        stamped = [r for r in group if "stamp" in r and r["stamp"].get("peer")]
        if not stamped:
            rows.append([system, f"{budget:g} s", str(seed), str(len(group))]
                        + ["not recorded"] * 6)
            continue
        peer = stamped[0]["stamp"]["peer"]
        version = peer["versions"].get(system if system == "flaml" else "autogluon.tabular")
        learned = _learners(stamped)
        trials = [sum(r["stamp"]["peer"].get("trials_per_learner", {}).values())
                  for r in stamped]
        loads = [x for r in stamped for x in (r["stamp"]["load"]["start"][0],
                                              r["stamp"]["load"]["end"][0])]
        dates = sorted(r["stamp"]["date"][:10] for r in stamped)
        rows.append([
            system, f"{budget:g} s", str(seed), str(len(group)), f"{system} {version}",
            ", ".join(f"{lib} {peer['versions'].get(lib)}"
                      for lib in ("catboost", "xgboost", "lightgbm")),
            learned,
            f"{min(trials)}–{max(trials)}" if trials else "–",
            dates[0] if dates[0] == dates[-1] else f"{dates[0]} – {dates[-1]}",
            f"{min(loads):.1f}–{max(loads):.1f}",
        ])
    return _table(["peer", "budget", "seed", "datasets", "version", "learner libraries",
                   "learners searched", "trials", "date", "load"], rows)


def automl_flaml_rerun() -> str:
    """Each rerun FLAML row against the row it superseded (same dataset, budget, cores, seed)."""
    records = record.read("automl")["records"]
    rows = []
    for new in records:
        if new["system"] != "flaml" or new.get("superseded") or "stamp" not in new:
            continue
        key = automl_report._setting(new)
        old = [r for r in records if r["system"] == "flaml" and r.get("superseded")
               and r["dataset"] == new["dataset"] and automl_report._setting(r) == key]
        if not old or old[-1]["score"] is None or new["score"] is None:
            continue
        before = old[-1]
        change = automl_report._better(new["metric"], new["score"], before["score"])
        trials = sum(new["stamp"]["peer"].get("trials_per_learner", {}).values())
        rows.append((key[2], automl_report.DATASETS.index(new["dataset"]), [
            new["dataset"], str(key[2]), automl_report.cell(before["score"]),
            before.get("info", {}).get("best_estimator", "–"), automl_report.cell(new["score"]),
            new["info"].get("best_estimator", "–"), f"{100 * change:+.1f}%", str(trials),
            f"{new['stamp']['load']['start'][0]:.1f}"]))
    return _table(["dataset", "seed", "before", "best learner then", "now", "best learner now",
                   "change (positive: better)", "trials now", "load at start"],
                  [row for *_, row in sorted(rows)])


def _learners(records: list[dict]) -> str:
    """The learners the peer searched; those searched on classification datasets only marked."""
    lists = [(r["metric"] != "rmse", r["stamp"]["peer"].get("learners") or []) for r in records]
    names = list(dict.fromkeys(name for _, names in lists for name in names))
    if not names:
        return "–"

    def label(name: str) -> str:
        if all(name in names for _, names in lists):
            return name
        if all(name in names for classification, names in lists if classification) and \
                not any(name in names for classification, names in lists if not classification):
            return f"{name} (classification)"
        return f"{name} (some datasets)"

    return ", ".join(label(name) for name in names)


def automl_targets() -> str:
    return automl_report.summary(record.current("automl"))


def train_budget_table() -> str:
    return train_budget.table(record.current("train_budget"))


def feedback_join() -> str:
    rows = [[f"{r['labels']:,} / {r['logged']:,}", f"{r['joined_rows']:,}",
             f"**{r['median_s']:.2f}**", ", ".join(f"{x:.2f}" for x in r["seconds"]),
             _n(r["peak_rss_mb"]), *_provenance(r)]
            for r in record.current("feedback_join")]
    return _table(["labels / logged predictions", "labelled predictions joined", "median s",
                   "each run, s", "peak MB", *PROVENANCE], rows)


def drift() -> str:
    rows = []
    for r in record.current("drift"):
        mine, peer, v = r["modelyard"], r["evidently"], r["verdicts"]
        rows.append([
            f"{r['rows']:,} x {r['columns']} / {r['reference_rows']:,}",
            f"{mine['seconds']:.1f} ({_n(mine['peak_rss_mb'])})",
            f"{peer['seconds']:.1f} ({_n(peer['peak_rss_mb'])})",
            f"**{r['speedup']:.1f}x**", f"**{r['memory_ratio']:.2f}**",
            f"**{v['agree']} / {v['compared']}**",
            f"{v['modelyard_drifted']} / {v['evidently_drifted']} / {v['planned_drifted']}",
            f"evidently {peer['versions']['evidently']}", *_provenance(r)])
    return _table(["current rows x columns / reference rows", "modelyard s (peak MB)",
                   "Evidently s (peak MB)", "speed (target ≥ 10x)",
                   "memory ratio (target ≤ 0.5)", "same verdict, columns",
                   "drifted: modelyard / Evidently / planned", "peer", *PROVENANCE], rows)


def deploy_refit() -> str:
    rows = []
    for r in record.current("deploy_refit"):
        v = r["variants"]
        refit, bagged = v.get("refit"), v.get("bagged")
        if refit is None or bagged is None:
            continue

        def cells(x: dict) -> list[str]:
            return [f"{x['test_score']:.4f} ({x['models']})",
                    f"{x['p50_ms']:.2f} ({x['p99_ms']:.2f})"]

        limit = r.get("max_latency_ms")
        label = f"{r['dataset']}, {r['metric']}, seed {r['seed']}"
        if limit:
            cost = (r["deployment"].get("latency_limit") or {}).get("cost")
            label += f", max_latency_ms {limit:g}" + (f" (cost {cost:.4f})" if cost is not None
                                                      else "")
        rows.append([
            label, *cells(refit), *cells(bagged),
            f"**{100 * r['relative_difference']:+.2f}%** "
            f"[{100 * r['relative_difference_ci95'][0]:+.2f}, "
            f"{100 * r['relative_difference_ci95'][1]:+.2f}]", f"{r['p50_ratio']:.2f}",
            f"{refit['size_bytes'] / 1e6:.1f} / {bagged['size_bytes'] / 1e6:.1f}",
            f"{r['bagged_run_test_score']:.4f} ({r['bagged_run_models']})"
            if "bagged_run_test_score" in r else "–",
            f"{r['http']['p50_ms']:.2f} ({r['http']['p99_ms']:.2f})" if "http" in r else "–",
            *_provenance(r)])
    return _table(["data, test metric, seed (split and search)", "refit: test (models)",
                   "refit p50 ms (p99)",
                   "bagged: test (models)", "bagged p50 ms (p99)",
                   "refit vs bagged [paired 95% interval] (target within ±0.3%)",
                   "p50 refit / bagged",
                   "MB refit / bagged", "deploy bagged run: test (models)",
                   "registered over HTTP: p50 ms (p99) (target p50 ≤ 5)", *PROVENANCE], rows)


def export_onnx() -> str:
    rows = [[r["model"], f"{r['predict_row_p50_ms']:.3f} ({r['predict_row_p99_ms']:.2f})",
             f"{r['ort_p50_ms']:.3f} ({r['ort_p99_ms']:.2f})", f"{r['ort_graph_p50_ms']:.3f}",
             _n(r["batch_model_rows_per_s"]), _n(r["batch_ort_rows_per_s"]),
             f"{r['max_difference']:.1e} ({r['difference_kind'][:3]}.)",
             "–" if r["same_predictions"] is None else f"{r['same_predictions']:.3f}",
             f"{r['onnx_bytes'] / 1e3:,.0f}", f"{r['export_s']:.1f}", *_provenance(r)]
            for r in record.current("export_onnx")]
    return _table(["model", "predict_row p50 ms (p99)", "onnxruntime from record p50 ms (p99)",
                   "onnxruntime graph p50 ms", "modelyard batch rows/s",
                   "onnxruntime batch rows/s", "max difference", "same labels", "kB",
                   "export s", *PROVENANCE], rows)


FORECAST_SYSTEMS = ("seasonal_naive", "autoets", "autoarima", "theta", "mlforecast_lgbm",
                    "modelyard")  # bench/forecast.py's SYSTEMS, in the table's order


def _amount(value: float) -> str:
    """A number of a series' units or milliseconds: whole above 100, 3 digits below."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _bold_best(metrics: dict, best: dict, name: str) -> str:
    value = f"{metrics[name]:.3f}"
    return f"**{value}**" if metrics[name] == best.get(name) else value


def forecast() -> str:
    """One row per system and setting (data set, series, horizon, windows); per setting the
    lowest sMAPE and MASE in bold."""
    current = record.current("forecast")
    groups: dict[tuple, list[dict]] = {}
    for r in current:
        groups.setdefault((r["dataset"], r["series"], r["horizon"], r["windows"]), []).append(r)

    def library(r: dict) -> str:
        if r["system"] == "modelyard":
            metric = r.get("modelyard_metric") or "mase"
            return f"modelyard, budget {r['budget']:g} s, metric {metric}"
        found = (r.get("stamp", {}).get("peer") or {}).get("versions", {})
        names = ("mlforecast", "lightgbm") if r["system"] == "mlforecast_lgbm" \
            else ("statsforecast",)
        return ", ".join(f"{n} {found[n]}" if found.get(n) else n for n in names)

    rows = []
    for (dataset, series, horizon, windows), records in groups.items():
        records.sort(key=lambda r: FORECAST_SYSTEMS.index(r["system"])
                     if r["system"] in FORECAST_SYSTEMS else len(FORECAST_SYSTEMS))
        scored = [r for r in records if r.get("metrics")]
        best = {m: min((r["metrics"][m] for r in scored), default=None)
                for m in ("smape", "mase")}

        setting = (f"{dataset}, {series:,} series, horizon {horizon}, "
                   f"{windows} window{'s' if windows > 1 else ''}")
        for r in records:
            m = r.get("metrics")
            if not m:
                error = r.get("error", "?")[:80].replace("|", "/")
                rows.append([setting, r["system"], f"failed: {error}", "", "", "", "", "",
                             library(r), *_provenance(r)])
                continue
            rows.append([setting, r["system"], _bold_best(m, best, "smape"),
                         _bold_best(m, best, "mase"),
                         _amount(m["mae"]), _amount(m["rmse"]), f"{r['seconds']:,.1f}",
                         _amount(1000 * r["seconds"] / (series * windows)), library(r),
                         *_provenance(r)])
    return _table(["data", "system", "sMAPE %", "MASE", "MAE", "RMSE", "fit+predict s",
                   "ms per series and window", "library", *PROVENANCE], rows)


TABLES: dict[str, Callable[[], str]] = {
    "changes": changes, "train_loop": train_loop, "fashion_mnist": fashion_mnist,
    "lgbm_memory": lgbm_memory,
    "registry": registry, "serve": serve, "predict_latency": predict_latency,
    "single_row": single_row,
    "predict_batch": predict_batch,
    "automl": automl, "automl_peers": automl_peers, "automl_targets": automl_targets,
    "automl_flaml_rerun": automl_flaml_rerun,
    "train_budget": train_budget_table, "feedback_join": feedback_join, "drift": drift,
    "export_onnx": export_onnx,
    "deploy_refit": deploy_refit,
    "forecast": forecast,
}


def render(text: str) -> str:
    """``text`` (the README) with every marked table rebuilt from the results."""
    found = [m.group(2) for m in BLOCK.finditer(text)]
    unknown = sorted(set(found) - set(TABLES))
    missing = sorted(set(TABLES) - set(found))
    twice = sorted({name for name in found if found.count(name) > 1})
    if unknown or missing or twice:
        raise SystemExit(f"bench/README.md's table markers do not match bench/tables.py: "
                         f"unknown {unknown}, missing {missing}, repeated {twice}; expected one "
                         f"'<!-- table:NAME -->' ... '<!-- /table -->' block for each of "
                         f"{', '.join(TABLES)}")
    return BLOCK.sub(lambda m: m.group(1) + TABLES[m.group(2)]().rstrip("\n") + "\n"
                     + m.group(4), text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if bench/README.md's tables are out of date")
    args = parser.parse_args()
    text = README.read_text()
    fresh = render(text)
    if not args.check:
        if fresh != text:
            README.write_text(fresh)
        print("bench/README.md: tables " + ("rewritten" if fresh != text else "up to date"))
        return
    if fresh != text:
        diff = difflib.unified_diff(text.splitlines(), fresh.splitlines(), "bench/README.md",
                                    "tables from bench/results", lineterm="", n=1)
        sys.stdout.write("\n".join(diff) + "\n")
        print("bench/README.md is out of date with bench/results/: run "
              ".venv/bin/python bench/tables.py", file=sys.stderr)
        raise SystemExit(1)
    print("bench/README.md: tables up to date")


if __name__ == "__main__":
    main()
