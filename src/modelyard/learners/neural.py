"""'mlp': a PyTorch multilayer perceptron for tables, trained by ``modelyard.training.Trainer``.

Input kind 'categorical': float columns go in as they are (already scaled by the preprocessing;
NaN becomes 0 as a guard), ``category`` columns go through an ``nn.Embedding`` each (code + 1, so a
missing or unseen category is the reserved row 0). Binary tasks use one logit and BCE, multiclass
tasks softmax cross-entropy, regression MSE on the standardised target. Without an ``eval_set``,
10% of the training rows (seeded, stratified when possible) are held out for early stopping.
``save`` writes ``model.safetensors`` plus ``learner.json`` (hyperparameters, architecture, column
layout with category lists, classes, target scaling, history); ``load`` rebuilds the network from
that data alone.

The saved files depend only on the data, the hyperparameters and the seed: the history is saved
without its timings (seconds per epoch, rows per second: they stay in ``history_`` and in the run's
metric series), ``checkpoint_dir`` and ``verbose`` are saved at their defaults, and training
computes with ``n_jobs`` threads (default 1) whatever the machine's core count.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import safetensors.torch
import torch
from sklearn.model_selection import train_test_split

from modelyard.atomic import atomic_write_bytes
from modelyard.errors import SpecError, TrainingError, did_you_mean
from modelyard.evaluation.kpis import cpus_available
from modelyard.learners.base import register
from modelyard.learners.neural_net import (
    ACTIVATIONS,
    MLPArchitecture,
    TabularMLP,
    auto_embedding_dim,
)
from modelyard.learners.params import Check, choice, integer, number, optional
from modelyard.learners.space import Choice, Float, Int
from modelyard.learners.tabular import TabularLearner
from modelyard.training import (
    LOSSES,
    OPTIMIZERS,
    SCHEDULES,
    BudgetStop,
    Checkpoint,
    LoopConfig,
    OptimizerConfig,
    RichProgress,
    ScheduleConfig,
    Trainer,
    find_checkpoint,
    seeded,
)
from modelyard.training.config import DEVICE_PATTERN, DEVICES
from modelyard.training.history import TIMING_KEYS

WEIGHTS_FILE = "model.safetensors"
HOLDOUT_FRACTION = 0.1  # share of training rows held out for early stopping without an eval_set
MIN_ROWS_FOR_HOLDOUT = 10
PREDICT_CHUNK = 65536  # rows per forward pass at prediction time (bounds memory)
MAX_LAYERS = 16  # hidden layers a spec may ask for
MAX_WIDTH = 65536  # units per layer (and embedding width): 2**16 already means 4e9 weights
LOSSES_BY_TASK = {
    "binary": ("bce", "cross_entropy"),
    "multiclass": ("cross_entropy",),
    "regression": ("mse", "huber"),
}


def _is_int(v: Any, low: int) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool) and v >= low


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float | np.number) and not isinstance(v, bool) and math.isfinite(v)


# Hyperparameter checks, declared as data: name -> (is valid, what is expected).
_CHECKS: dict[str, Check] = {
    "hidden_sizes": (
        lambda v: isinstance(v, tuple | list) and 0 < len(v) <= MAX_LAYERS
        and all(_is_int(h, 1) and h <= MAX_WIDTH for h in v),
        f"a list of 1 to {MAX_LAYERS} layer widths in [1, {MAX_WIDTH}], such as [128] or "
        "[256, 128]",
    ),
    "activation": (lambda v: v in ACTIVATIONS, "one of " + ", ".join(map(repr, ACTIVATIONS))),
    "dropout": (lambda v: _is_num(v) and 0 <= v < 1, "a number in [0, 1)"),
    "embedding_dim": optional(integer(1, MAX_WIDTH), "auto"),
    "epochs": integer(1),
    "batch_size": integer(1),
    "patience": optional(integer(1), "no early stopping"),
    "verbose": (lambda v: isinstance(v, bool), "True or False"),
    "checkpoint_dir": (
        lambda v: v is None or isinstance(v, str | Path),
        "None or a directory path",
    ),
    "optimizer": choice(tuple(OPTIMIZERS)),
    "lr": number(0, open_low=True),
    "weight_decay": number(0),
    "schedule": choice(tuple(SCHEDULES)),
    "loss": optional(choice(tuple(LOSSES)), "the task's usual loss"),
    "grad_clip_norm": optional(number(0, open_low=True), "no clipping"),
    "device": (lambda v: isinstance(v, str) and bool(DEVICE_PATTERN.match(v)),
               "one of " + ", ".join(map(repr, DEVICES))),
}


@register
class MLPLearner(TabularLearner):
    """Multilayer perceptron in PyTorch, trained with early stopping on validation loss.

    ``hidden_sizes=(128,), dropout=0.2`` is Dense(128) ReLU Dropout Dense.

    ``checkpoint_dir``: checkpoint there after every epoch and, when it already holds a checkpoint,
    resume from it. ``budget``: anything with ``remaining()`` seconds; training stops when it runs
    out. ``device='auto'`` trains on CUDA when available. ``n_jobs``: CPU threads training computes
    with (-1: every core); on CPU, a fixed ``seed`` and ``n_jobs`` give identical weights on any
    machine with the same libraries, and more than one thread may not (see docs/spec.md,
    "Reproducibility"). Predicting uses the process's PyTorch thread count.
    """

    name = "mlp"
    tasks = ("binary", "multiclass", "regression")
    input_kind = "categorical"
    needs_scaling = True
    cost_hint = 5.0
    library = "torch"
    run_settings = ("checkpoint_dir", "verbose")
    param_checks = _CHECKS

    def __init__(
        self,
        hidden_sizes=(128,),
        activation="relu",
        dropout=0.2,
        embedding_dim=None,
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        epochs=20,
        batch_size=256,
        schedule="none",
        loss=None,
        class_weight=None,
        patience=5,
        grad_clip_norm=None,
        device="auto",
        seed=0,
        n_jobs=1,
        checkpoint_dir=None,
        verbose=False,
        target_transform=None,
        task=None,
    ):
        self.hidden_sizes = hidden_sizes
        self.activation = activation
        self.dropout = dropout
        self.embedding_dim = embedding_dim
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.batch_size = batch_size
        self.schedule = schedule
        self.loss = loss
        self.class_weight = class_weight
        self.patience = patience
        self.grad_clip_norm = grad_clip_norm
        self.device = device
        self.seed = seed
        self.n_jobs = n_jobs
        self.checkpoint_dir = checkpoint_dir
        self.verbose = verbose
        self.target_transform = target_transform
        self.task = task

    # -- search space -----------------------------------------------------------------------------
    @classmethod
    def search_space(cls, n_rows: int, n_cols: int, task: str) -> dict[str, Any]:
        """Width and depth sized by the rows; ``params_from_space`` makes them ``hidden_sizes``."""
        max_width = int(min(512, max(32, n_rows // 2)))  # no wider than ~2 rows per unit
        batches = tuple(b for b in (32, 64, 128, 256, 512, 1024) if b <= max(32, n_rows // 10))
        space: dict[str, Any] = {
            "width": Int(16, max_width, log=True),
            "n_layers": Int(1, 3 if n_rows >= 2000 else 2),
            "activation": Choice(("relu", "gelu", "silu")),
            "dropout": Float(0.0, 0.5),
            "lr": Float(1e-4, 3e-2, log=True),
            "weight_decay": Float(1e-7, 1e-2, log=True),
            "batch_size": Choice(batches),  # at least ~10 steps per epoch
            "optimizer": Choice(("adam", "adamw")),
            "schedule": Choice(("none", "cosine", "onecycle")),
        }
        if task in ("binary", "multiclass"):
            space["class_weight"] = Choice((None, "balanced"))
        return space

    @classmethod
    def params_from_space(cls, sample: dict[str, Any]) -> dict[str, Any]:
        """``width`` and ``n_layers`` become ``hidden_sizes=(width,) * n_layers``."""
        params = dict(sample)
        width, layers = params.pop("width", None), params.pop("n_layers", None)
        if width is not None or layers is not None:
            params["hidden_sizes"] = (int(width or 128),) * int(layers or 1)
        return params

    # -- fitting ----------------------------------------------------------------------------------
    @classmethod
    def check_params(cls, params: dict[str, Any], task: str | None = None) -> None:
        """The declared checks, and, with ``task``, that a ``loss`` given fits that task."""
        super().check_params(params, task)
        loss = params.get("loss")
        if task is not None and loss is not None and loss not in LOSSES_BY_TASK[task]:
            valid = LOSSES_BY_TASK[task]
            raise SpecError(
                f"learner 'mlp': parameter 'loss' {loss!r} does not fit a {task} task; valid: "
                + ", ".join(map(repr, valid)),
                hint=f"set model.params.loss to {valid[0]!r}, or leave it out for the task's "
                "usual loss",
            )

    def _loss_name(self) -> str:
        valid = LOSSES_BY_TASK[self.task_]
        if self.loss is None:
            return valid[0]
        if self.loss not in valid:
            raise SpecError(
                f"mlp loss: {self.loss!r} does not fit task '{self.task_}'; valid: "
                + ", ".join(map(repr, valid)),
                hint=did_you_mean(str(self.loss), valid),
            )
        return self.loss

    def _class_weights(self, y: np.ndarray) -> tuple[float, ...] | None:
        cw = self._class_weight()
        if cw is None:
            return None
        k = len(self.classes_)
        if cw == "balanced":  # n / (k * count): every class weighs as much in total
            counts = np.bincount(y, minlength=k)
            return tuple(float(len(y) / (k * c)) if c else 1.0 for c in counts)
        return tuple(float(cw.get(code, 1.0)) for code in range(k))

    def _holdout(self, n: int, y: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        rows = np.arange(n)
        if n < MIN_ROWS_FOR_HOLDOUT:
            return rows, None
        n_val = max(1, round(HOLDOUT_FRACTION * n))
        stratify = y if self.is_classifier and np.bincount(y).min(initial=n) >= 2 else None
        try:
            train, val = train_test_split(
                rows, test_size=n_val, random_state=self.seed, stratify=stratify
            )
        except ValueError:  # too few rows per class to stratify
            train, val = train_test_split(rows, test_size=n_val, random_state=self.seed)
        return np.sort(train), np.sort(val)

    def _tensors(self, frame: pd.DataFrame) -> tuple[torch.Tensor, torch.Tensor]:
        """(x_num (n, n_numeric) float32 with NaN -> 0, x_cat (n, n_categorical) int64 code + 1)."""
        numeric = [c["name"] for c in self.layout_ if c["kind"] == "numeric"]
        categorical = [c["name"] for c in self.layout_ if c["kind"] == "category"]
        x_num = (
            frame[numeric].to_numpy(dtype=np.float32)
            if numeric
            else np.zeros((len(frame), 0), np.float32)
        )
        x_num = np.where(np.isnan(x_num), np.float32(0.0), x_num)
        codes = [frame[c].cat.codes.to_numpy().astype(np.int64) + 1 for c in categorical]
        x_cat = np.stack(codes, axis=1) if codes else np.zeros((len(frame), 0), np.int64)
        return torch.from_numpy(np.ascontiguousarray(x_num)), torch.from_numpy(x_cat)

    def _target(self, y: np.ndarray) -> torch.Tensor:
        if self.is_classifier:
            return torch.from_numpy(y.astype(np.int64))
        return torch.from_numpy(((y - self.y_mean_) / self.y_scale_).astype(np.float32))

    def _fit_model(self, X: pd.DataFrame, y: np.ndarray, eval_set, budget) -> None:
        self.loss_ = loss = self._loss_name()
        if eval_set is None:
            train_rows, val_rows = self._holdout(len(X), y)
            val = None if val_rows is None else (X.iloc[val_rows], y[val_rows])
            X, y = X.iloc[train_rows], y[train_rows]
        else:
            val = eval_set
        if not self.is_classifier:
            self.y_mean_, self.y_scale_ = float(np.mean(y)), float(np.std(y)) or 1.0
        cards = [len(c["categories"]) for c in self.layout_ if c["kind"] == "category"]
        arch = MLPArchitecture(
            n_numeric=sum(c["kind"] == "numeric" for c in self.layout_),
            cardinalities=tuple(cards),
            embedding_dims=tuple(int(self.embedding_dim or auto_embedding_dim(c)) for c in cards),
            hidden_sizes=tuple(int(h) for h in self.hidden_sizes),
            activation=self.activation,
            dropout=float(self.dropout),
            n_outputs=len(self.classes_) if loss == "cross_entropy" else 1,
        )
        with seeded(self.seed):  # initial weights from the seed only
            module = TabularMLP(arch)
        config = LoopConfig(
            epochs=self.epochs,
            batch_size=self.batch_size,
            loss=loss,
            class_weights=self._class_weights(y) if self.is_classifier else None,
            grad_clip_norm=self.grad_clip_norm,
            device=self.device,
            seed=self.seed,
            threads=max(1, cpus_available()) if self.n_jobs == -1 else self.n_jobs,
            monitor="val_loss",
            patience=self.patience if val is not None else None,
            optimizer=OptimizerConfig(
                name=self.optimizer, lr=self.lr, weight_decay=self.weight_decay
            ),
            schedule=ScheduleConfig(name=self.schedule),
        )
        callbacks: list[Any] = []
        if self.verbose:
            callbacks.append(RichProgress())
        if budget is not None:
            callbacks.append(BudgetStop(budget))
        if self.checkpoint_dir is not None:
            callbacks.append(Checkpoint(self.checkpoint_dir))
        train_data = (*self._tensors(X), self._target(y))
        val_data = None if val is None else (*self._tensors(val[0]), self._target(val[1]))
        history = Trainer(config, callbacks).fit(
            module,
            train_data,
            val_data,
            resume_from=self.checkpoint_dir if find_checkpoint(self.checkpoint_dir) else None,
        )
        module.eval()
        self.module_ = module
        self.history_ = [dict(r) for r in history]
        self.stop_reason_ = history.stop_reason
        self.best_epoch_ = history.best_epoch

    # -- prediction -------------------------------------------------------------------------------
    def _matrix_tensors(self, matrix: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """``_tensors`` of the layout's float matrix (``TabularLearner.predict_matrix``): the
        same float32 cast of the numbers, NaN -> 0, and category codes + 1 (NaN -> row 0)."""
        numeric = [i for i, c in enumerate(self.layout_) if c["kind"] == "numeric"]
        categorical = [i for i, c in enumerate(self.layout_) if c["kind"] == "category"]
        x_num = matrix[:, numeric].astype(np.float32)
        x_num = np.where(np.isnan(x_num), np.float32(0.0), x_num)
        codes = matrix[:, categorical]
        x_cat = np.where(np.isnan(codes), 0, codes + 1).astype(np.int64)
        return torch.from_numpy(np.ascontiguousarray(x_num)), torch.from_numpy(x_cat)

    def _forward(self, frame: pd.DataFrame) -> torch.Tensor:
        return self._forward_tensors(*self._tensors(frame))

    @torch.inference_mode()
    def _forward_tensors(self, x_num: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        """Outputs (n, n_outputs) on the CPU, in chunks, in eval mode."""
        self.module_.eval()
        device = next(self.module_.parameters()).device
        chunks = [
            self.module_(
                x_num[i : i + PREDICT_CHUNK].to(device), x_cat[i : i + PREDICT_CHUNK].to(device)
            ).cpu()
            for i in range(0, len(x_num), PREDICT_CHUNK)
        ]
        return torch.cat(chunks) if chunks else torch.zeros((0, self.module_.arch.n_outputs))

    def _proba(self, X: pd.DataFrame) -> np.ndarray:
        return self._proba_of(self._forward(X))

    def _values(self, X: pd.DataFrame) -> np.ndarray:
        return self._values_of(self._forward(X))

    def _proba_matrix(self, matrix: np.ndarray) -> np.ndarray:
        return self._proba_of(self._forward_tensors(*self._matrix_tensors(matrix)))

    def _values_matrix(self, matrix: np.ndarray) -> np.ndarray:
        return self._values_of(self._forward_tensors(*self._matrix_tensors(matrix)))

    def _proba_of(self, outputs: torch.Tensor) -> np.ndarray:
        out = outputs.double()
        if out.shape[1] == 1:  # binary with one logit: P(class 1) = sigmoid
            p1 = torch.sigmoid(out[:, 0])
            return torch.stack([1 - p1, p1], dim=1).numpy()
        return torch.softmax(out, dim=1).numpy()

    def _values_of(self, outputs: torch.Tensor) -> np.ndarray:
        out = outputs[:, 0].double().numpy()
        return out * self.y_scale_ + self.y_mean_

    # -- persistence ------------------------------------------------------------------------------
    def _save_model(self, directory: Path) -> dict[str, Any]:
        state = {
            k: v.detach().to("cpu", copy=True).contiguous()
            for k, v in self.module_.state_dict().items()
        }
        atomic_write_bytes(directory / WEIGHTS_FILE, safetensors.torch.save(state))
        finite = [  # timings differ from run to run: they are the run's, not the model's
            {
                k: (v if not isinstance(v, float) or math.isfinite(v) else None)
                for k, v in r.items()
                if k not in TIMING_KEYS
            }
            for r in self.history_
        ]
        return {
            "weights": WEIGHTS_FILE,
            "architecture": self.module_.arch.to_dict(),
            "loss": self.loss_,
            "target_scaling": None if self.is_classifier else [self.y_mean_, self.y_scale_],
            "history": finite,
            "stop_reason": self.stop_reason_,
            "best_epoch": self.best_epoch_,
        }

    def _load_model(self, directory: Path, model_meta: dict[str, Any]) -> None:
        if isinstance(self.hidden_sizes, list):  # JSON has no tuples: restore the verbatim type
            self.hidden_sizes = tuple(self.hidden_sizes)
        module = TabularMLP(MLPArchitecture.from_dict(model_meta["architecture"]))
        path = Path(directory) / model_meta["weights"]
        try:
            module.load_state_dict(safetensors.torch.load_file(path), strict=True)
        except (OSError, RuntimeError, ValueError) as err:
            raise TrainingError(
                f"cannot load MLP weights from {path}: {err}",
                hint="the weights do not match the saved architecture; retrain",
            ) from err
        module.eval()
        self.module_ = module
        self.loss_ = model_meta["loss"]
        if model_meta["target_scaling"] is not None:
            self.y_mean_, self.y_scale_ = (float(v) for v in model_meta["target_scaling"])
        self.history_ = [dict(r) for r in model_meta["history"]]
        self.stop_reason_ = model_meta["stop_reason"]
        self.best_epoch_ = model_meta["best_epoch"]
