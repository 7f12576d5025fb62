"""Image datasets in the idx format (MNIST, Fashion-MNIST), turned into a flat table.

An idx file is: two zero bytes, a type code, the number of dimensions ``d``, then ``d`` big-endian
uint32 sizes, then the values in row-major order, big-endian. Images come as an ``idx3`` file of
shape (n, height, width) and their labels as an ``idx1`` file of shape (n,) beside it, named by
replacing ``images-idx3`` with ``labels-idx1``.

The table has one column per pixel, ``px0 .. px{h*w-1}`` (row-major), and an integer ``label``.
Pixel-column CSVs (784 pixels then the label) are plain CSVs and need nothing from this module.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from modelyard.data.readers_base import check_file
from modelyard.errors import DataError

# idx type code -> big-endian numpy dtype
IDX_TYPES: dict[int, str] = {
    0x08: ">u1",
    0x09: ">i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}
IMAGES_MARK = "images-idx3"
LABELS_MARK = "labels-idx1"


def labels_path_for(images_path: Path) -> Path:
    """The labels file that belongs to an idx images file (``images-idx3`` -> ``labels-idx1``)."""
    if IMAGES_MARK not in images_path.name:
        raise DataError(
            f"cannot tell where the labels of {images_path} are: expected an images file whose "
            f"name contains {IMAGES_MARK!r} (such as train-images-idx3-ubyte.gz), got "
            f"{images_path.name!r}",
            hint=f"point data.source.path at the images file; its labels must sit beside it with "
            f"{IMAGES_MARK!r} replaced by {LABELS_MARK!r} in the name",
        )
    return images_path.with_name(images_path.name.replace(IMAGES_MARK, LABELS_MARK))


def read_idx(path: Path) -> np.ndarray:
    """Parse one idx file (gzip-compressed or plain) into a native-endian numpy array."""
    raw = _read_bytes(path)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise DataError(
            f"{path} is not an idx file: expected the magic bytes 00 00 <type> <dims> with a type "
            f"in {[hex(t) for t in IDX_TYPES]}, got {raw[:4].hex(' ') or 'nothing'}",
            hint="set data.source.format to the file's real format, or check the file is complete",
        )
    ndim = raw[3]
    header_end = 4 + 4 * ndim
    if ndim == 0 or len(raw) < header_end:
        raise DataError(
            f"{path} has a broken idx header: it declares {ndim} dimensions but holds "
            f"{len(raw)} bytes",
            hint="the file is truncated; download it again",
        )
    dims = struct.unpack(f">{ndim}I", raw[4:header_end])
    dtype = np.dtype(IDX_TYPES[raw[2]])
    count = math.prod(dims)
    expected = count * dtype.itemsize
    actual = len(raw) - header_end
    if actual != expected:
        raise DataError(
            f"{path} does not match its idx header: shape {dims} of {dtype.name} needs "
            f"{expected} bytes of data, the file holds {actual}",
            hint="the file is truncated or corrupt; download it again",
        )
    values = np.frombuffer(raw, dtype=dtype, count=count, offset=header_end)
    return values.reshape(dims).astype(dtype.newbyteorder("="))


def read_idx_images(images_path: Path) -> pd.DataFrame:
    """The images file and its labels file as one table: ``px0..`` pixel columns and ``label``."""
    check_file(images_path)
    labels_path = labels_path_for(images_path)
    if not labels_path.exists():
        raise DataError(
            f"labels file not found for {images_path}: expected {labels_path}",
            hint=f"put the {LABELS_MARK} file beside the images file under that name",
        )
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim < 2:
        raise DataError(
            f"{images_path} holds a {images.ndim}-d array of shape {images.shape}; expected "
            "images of shape (n, height, width)",
            hint=f"is this a labels file? point data.source.path at the {IMAGES_MARK} file",
        )
    if labels.ndim != 1:
        raise DataError(
            f"{labels_path} holds an array of shape {labels.shape}; expected labels of shape (n,)",
            hint="check that the labels file is the one that belongs to these images",
        )
    if len(images) != len(labels):
        raise DataError(
            f"{images_path} has {len(images)} images but {labels_path} has {len(labels)} labels; "
            "expected one label per image",
            hint="the two files come from different sets (train vs t10k) or one is truncated",
        )
    pixels = images.reshape(len(images), -1)  # (n, h*w), row-major
    if pixels.dtype != np.uint8:
        pixels = pixels.astype(np.float32)
    frame = pd.DataFrame(pixels, columns=[f"px{i}" for i in range(pixels.shape[1])])
    frame["label"] = labels.astype(np.int64)
    return frame


def _read_bytes(path: Path) -> bytes:
    """The whole file, gunzipped when it starts with the gzip magic bytes."""
    check_file(path)
    data = path.read_bytes()
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(
            f"cannot decompress {path}: {err}",
            hint="the gzip file is truncated or corrupt; download it again",
        ) from err
