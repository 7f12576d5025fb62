"""One row through a LightGBM booster by LightGBM's single-row C API, without its Python wrapper.

``Booster.predict`` on one row costs about 0.1 ms, nearly all of it in the wrapper (parameter
copies, array conversion, a new predictor per call) around a few microseconds of trees.
LightGBM's C API has a path made for this: ``LGBM_BoosterPredictForMatSingleRowFastInit`` sets
up a predictor once (prediction type, iterations, one thread) and
``LGBM_BoosterPredictForMatSingleRowFast`` scores one float64 row with it. It runs the same
predictor code as ``Booster.predict``, so the answer is the same to the last bit (checked in
``tests/unit/learners/test_lightgbm_row.py``).

The set-up is not safe to share between threads (it keeps one row buffer), so calls are serialised
by a lock; a server's concurrent requests each take microseconds there. The C API is reached
through names the ``lightgbm`` package keeps private; when a version lacks them,
:func:`row_predictor` returns None and the learner keeps ``Booster.predict``.
"""

from __future__ import annotations

import ctypes
import threading
import weakref

import lightgbm as lgb
import numpy as np

try:  # private names of lightgbm.basic: the loaded library and its constants
    from lightgbm.basic import _C_API_DTYPE_FLOAT64, _C_API_PREDICT_NORMAL, _LIB, _c_str
except ImportError:  # pragma: no cover - depends on the installed LightGBM
    _LIB = None


class RowPredictor:
    """A booster's single-row predictor: ``predict(row)`` -> its outputs as ``Booster.predict``
    gives them for that one row (probabilities or values; one per class for multiclass)."""

    def __init__(self, booster: lgb.Booster, num_iteration: int, n_outputs: int) -> None:
        self._booster = booster  # the predictor holds the booster's handle: keep it alive
        self._n_outputs = n_outputs
        self._n_features = booster.num_feature()
        self._lock = threading.Lock()
        self._out = np.empty(n_outputs, dtype=np.float64)
        self._out_len = ctypes.c_int64(0)
        handle = ctypes.c_void_p()
        status = _LIB.LGBM_BoosterPredictForMatSingleRowFastInit(
            booster._handle,
            ctypes.c_int(_C_API_PREDICT_NORMAL),
            ctypes.c_int(0),
            ctypes.c_int(num_iteration),
            ctypes.c_int(_C_API_DTYPE_FLOAT64),
            ctypes.c_int32(self._n_features),
            _c_str("num_threads=1"),
            ctypes.byref(handle),
        )
        if status != 0:
            raise lgb.basic.LightGBMError(_LIB.LGBM_GetLastError().decode("utf-8"))
        self._handle = handle
        weakref.finalize(self, _LIB.LGBM_FastConfigFree, handle)

    def predict(self, row: np.ndarray) -> np.ndarray:
        """Outputs for one row (a float64 vector of the booster's features), a new array."""
        row = np.ascontiguousarray(row, dtype=np.float64)
        if row.shape != (self._n_features,):
            raise ValueError(f"expected {self._n_features} features; got shape {row.shape}")
        with self._lock:
            status = _LIB.LGBM_BoosterPredictForMatSingleRowFast(
                self._handle,
                row.ctypes.data_as(ctypes.c_void_p),
                ctypes.byref(self._out_len),
                self._out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
            )
            if status != 0:
                raise lgb.basic.LightGBMError(_LIB.LGBM_GetLastError().decode("utf-8"))
            return self._out.copy()


def row_predictor(booster: lgb.Booster, num_iteration: int, n_outputs: int) -> RowPredictor | None:
    """A :class:`RowPredictor`, or None where this LightGBM has no reachable single-row API."""
    if _LIB is None or not hasattr(_LIB, "LGBM_BoosterPredictForMatSingleRowFastInit"):
        return None
    return RowPredictor(booster, num_iteration, n_outputs)
