"""Throughput of modelyard's Trainer against a minimal hand-written PyTorch loop.

Same MLP (784-128-10, ReLU), same data, same optimizer (Adam), same batch size, in the same
process; the two are run alternately ``--repeats`` times and the best time of each is compared.
Data: Fashion-MNIST from ../shared/data/fashion_mnist when present (60,000 rows), else the committed
600-row slice in tests/data/fashion_mnist repeated to ``--rows`` rows.

    .venv/bin/python bench/train_loop.py --epochs 3 --batch-size 128 --threads 1

Adds one record (every repeat's seconds, samples/s, the ratio) to
``bench/results/train_loop.json`` through ``bench/record.py``.
"""

from __future__ import annotations

import argparse
import gzip
import time
from pathlib import Path

import numpy as np
import record
import torch
import torch.nn.functional as F
from torch import nn

from modelyard.training import LoopConfig, OptimizerConfig, Trainer, resolve_device

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (
    ROOT.parent / "shared" / "data" / "fashion_mnist",
    ROOT / "tests" / "data" / "fashion_mnist",
)


def _idx(path: Path) -> np.ndarray:
    data = gzip.open(path).read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_data(rows: int) -> tuple[torch.Tensor, torch.Tensor, str]:
    for folder in SOURCES:
        images = folder / "train-images-idx3-ubyte.gz"
        if images.is_file():
            x = _idx(images).reshape(-1, 784).astype(np.float32) / 255.0  # (n, 784)
            y = _idx(folder / "train-labels-idx1-ubyte.gz").astype(np.int64)  # (n,)
            repeat = max(1, -(-rows // len(x)))
            x, y = np.tile(x, (repeat, 1))[:rows], np.tile(y, repeat)[:rows]
            return torch.from_numpy(x), torch.from_numpy(y), str(folder)
    raise SystemExit("no Fashion-MNIST data found in " + ", ".join(map(str, SOURCES)))


def make_model(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


def hand_loop(
    x: torch.Tensor, y: torch.Tensor, epochs: int, batch_size: int, device: torch.device, seed: int
) -> float:
    """The minimal loop: shuffle, slice, forward, loss, backward, step. Returns seconds."""
    model = make_model(seed).to(device)
    x, y = x.to(device), y.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(len(x), generator=gen).to(device)
        for i in range(0, len(x), batch_size):
            idx = perm[i : i + batch_size]
            # index_select, as the Trainer does (a little faster than x[idx] on CPU): the
            # comparison then measures the loop's own overhead only
            loss = F.cross_entropy(model(x.index_select(0, idx)), y.index_select(0, idx))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    float(loss.detach())  # wait for the device
    return time.perf_counter() - start


def trainer_loop(
    x: torch.Tensor, y: torch.Tensor, epochs: int, batch_size: int, device: torch.device, seed: int
) -> float:
    """modelyard's Trainer, defaults (loss guard on), no validation data. Returns seconds."""
    model = make_model(seed)
    config = LoopConfig(
        epochs=epochs,
        batch_size=batch_size,
        device=str(device),
        seed=seed,
        optimizer=OptimizerConfig(name="adam", lr=1e-3),
    )
    start = time.perf_counter()
    Trainer(config).fit(model, (x, y))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--rows", type=int, default=60000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    stamper = record.Stamper()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    x, y, source = load_data(args.rows)
    print(
        f"data: {len(x)} rows x {x.shape[1]} columns from {source}; device {device}; "
        f"threads {args.threads}; batch {args.batch_size}; epochs {args.epochs}"
    )
    hand_loop(x[:4096], y[:4096], 1, args.batch_size, device, 0)  # warm-up (allocator, kernels)
    trainer_loop(x[:4096], y[:4096], 1, args.batch_size, device, 0)
    hand, ours = [], []
    for _ in range(args.repeats):
        hand.append(hand_loop(x, y, args.epochs, args.batch_size, device, 0))
        ours.append(trainer_loop(x, y, args.epochs, args.batch_size, device, 0))
    samples = len(x) * args.epochs
    hand_sps, ours_sps = samples / min(hand), samples / min(ours)
    best = f"best of {args.repeats}"
    print(f"hand-written loop: {hand_sps:12,.0f} samples/s ({best}: {min(hand):.3f} s)")
    print(f"modelyard Trainer: {ours_sps:12,.0f} samples/s ({best}: {min(ours):.3f} s)")
    print(f"ratio Trainer / hand-written: {ours_sps / hand_sps:.3f}")
    done = {
        "rows": len(x), "columns": int(x.shape[1]), "data": source, "epochs": args.epochs,
        "batch_size": args.batch_size, "threads": args.threads, "device": str(device),
        "repeats": args.repeats, "hand_seconds": [round(t, 4) for t in hand],
        "trainer_seconds": [round(t, 4) for t in ours], "hand_samples_per_s": round(hand_sps),
        "trainer_samples_per_s": round(ours_sps), "ratio": round(ours_sps / hand_sps, 4),
        "stamp": stamper.stamp(),
    }  # fmt: skip
    record.add("train_loop", [done], key=_key)


def _key(r: dict) -> tuple:
    """What a record measures: a later record with the same key supersedes it."""
    return r["rows"], r["epochs"], r["batch_size"], r["threads"], r["device"]


if __name__ == "__main__":
    main()
