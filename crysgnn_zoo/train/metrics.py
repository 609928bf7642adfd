"""Regression metrics in the target's own units."""
from __future__ import annotations

import numpy as np


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """MAE, RMSE and R^2 of ``y_pred`` against ``y_true`` (same units as the target)."""
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    err = y_pred - y_true
    ss_tot = float(((y_true - y_true.mean()) ** 2).sum()) if len(y_true) else 0.0
    return {
        "mae": float(np.abs(err).mean()) if len(err) else float("nan"),
        "rmse": float(np.sqrt((err**2).mean())) if len(err) else float("nan"),
        "r2": 1.0 - float((err**2).sum()) / ss_tot if ss_tot > 0 else float("nan"),
        "n": int(len(err)),
    }


def mean_predictor_mae(y_train: np.ndarray, y_test: np.ndarray) -> float:
    """MAE of always predicting the training mean: the floor any model must beat."""
    return float(np.abs(np.asarray(y_test) - np.mean(y_train)).mean())
