"""Re-create the small test slices in this folder from ../shared/data (run from the project root).

Slices are raw lines of the original files, so every quirk (BOM, no header, blanks, '?', label
punctuation, whitespace separation) is kept. Rows are picked deterministically: every k-th line,
plus lines that show a quirk the tests need.
"""

from __future__ import annotations

import gzip
import struct
import sys
from pathlib import Path

import pandas as pd

SHARED = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
HERE = Path(__file__).parent


def lines_slice(src: Path, dst: Path, n: int, *, header: int = 1, keep=lambda line: False) -> None:
    raw = src.read_bytes().splitlines(keepends=True)
    head, body = raw[:header], raw[header:]
    step = max(1, len(body) // n)
    picked = set(range(0, len(body), step))
    picked |= {i for i, line in enumerate(body) if keep(line)}
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(b"".join(head + [body[i] for i in sorted(picked)]))


def live_slice(src: Path, dst: Path) -> None:
    """Telco rows the main slice does not hold (every 23rd line from the 12th, no blank
    TotalCharges): a model trained on telco_churn.csv meets them as new customers."""
    raw = src.read_bytes().splitlines(keepends=True)
    taken = set(dst.with_name("telco_churn.csv").read_bytes().splitlines(keepends=True)[1:])
    body = [line for i, line in enumerate(raw[1:]) if i % 23 == 11 and b", ," not in line]
    dst.write_bytes(b"".join(raw[:1] + [line for line in body if line not in taken]))


def months_slice(src: Path, dst: Path, months: tuple[bytes, ...]) -> None:
    """Every line of the given months (lines start with their 'YYYY-MM' time stamp)."""
    raw = src.read_bytes().splitlines(keepends=True)
    dst.write_bytes(b"".join(raw[:1] + [line for line in raw[1:] if line[:7] in months]))


def idx_slice(src: Path, dst: Path, n: int) -> None:
    with gzip.open(src, "rb") as fh:
        data = fh.read()
    ndim = data[3]
    dims = list(struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim]))
    item = 1
    for d in dims[1:]:
        item *= d
    offset = 4 + 4 * ndim
    dims[0] = n
    out = data[:4] + struct.pack(">" + "I" * ndim, *dims) + data[offset : offset + n * item]
    dst.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(dst, "wb", mtime=0) as fh:
        fh.write(out)


def main() -> None:
    d = SHARED
    lines_slice(d / "telco_churn/Telco-Customer-Churn.csv", HERE / "telco_churn.csv", 300,
                keep=lambda line: b", ," in line)
    live_slice(d / "telco_churn/Telco-Customer-Churn.csv", HERE / "telco_churn_live.csv")
    lines_slice(d / "adult/adult-train.csv", HERE / "adult/adult-train.csv", 300, header=0)
    lines_slice(d / "adult/adult-test.csv", HERE / "adult/adult-test.csv", 150, header=0)
    lines_slice(d / "credit_g/german.csv", HERE / "credit_g.csv", 300, header=0)
    lines_slice(d / "ai4i2020/ai4i2020.csv", HERE / "ai4i2020.csv", 300,
                keep=lambda line: line.split(b",")[8:9] == [b"1"]
                and int(line.split(b",")[0]) % 10 < 2)
    lines_slice(d / "clv_cdnow/CDNOW_master.txt", HERE / "cdnow.txt", 300)
    lines_slice(d / "cmapss_fd001/train_FD001.txt", HERE / "cmapss_train.txt", 300, header=0)
    lines_slice(d / "kc1/kc1.csv", HERE / "kc1.csv", 300)
    lines_slice(d / "california_housing/housing.csv", HERE / "california_housing.csv", 300,
                keep=lambda line: b",," in line)
    months_slice(d / "bike_sharing/bike_hourly_skforecast_clean.csv",
                 HERE / "bike_sharing_drift.csv",
                 (b"2011-01", b"2011-02", b"2011-03", b"2011-06"))
    lines_slice(d / "house_prices_ames/house.csv", HERE / "house_prices_ames.csv", 300)
    lines_slice(d / "sentiment_sst2/dev.tsv", HERE / "sst2_dev.tsv", 300)
    lines_slice(d / "online_retail/france.csv", HERE / "online_retail/france.csv", 150)
    lines_slice(d / "online_retail/germany.csv", HERE / "online_retail/germany.csv", 150)
    with gzip.open(d / "mnist_5k/mnist_5k.csv.gz", "rb") as fh:
        rows = fh.read().splitlines(keepends=True)
    rows = rows[:: len(rows) // 300][:300]  # the file is sorted by label: take every k-th row
    with gzip.GzipFile(HERE / "mnist_300.csv.gz", "wb", mtime=0) as fh:
        fh.write(b"".join(rows))
    for part, n in (("train", 600), ("t10k", 200)):
        for kind in ("images-idx3", "labels-idx1"):
            name = f"{part}-{kind}-ubyte.gz"
            idx_slice(d / "fashion_mnist" / name, HERE / "fashion_mnist" / name, n)
    m4 = pd.read_parquet(d / "m4_hourly/m4_hourly.parquet")
    keep = sorted(m4["series_id"].unique())[:3]
    small = m4[m4["series_id"].isin(keep)].groupby("series_id").head(100)
    small.to_parquet(HERE / "m4_hourly.parquet", index=False)
    picked = ["H1", "H10", "H105", "H150", "H200", "H300"]  # different levels and shapes
    recent = m4[m4["series_id"].isin(picked)].groupby("series_id").tail(288)
    (HERE / "forecast").mkdir(exist_ok=True)
    recent.to_parquet(HERE / "forecast/m4_hourly.parquet", index=False)
    walmart = pd.read_csv(d / "walmart_weekly_sales/Walmart.csv")
    walmart[walmart["Store"].isin([1, 2, 3, 4])].to_csv(HERE / "forecast/walmart.csv", index=False)


if __name__ == "__main__":
    main()
