"""Regression metrics (scikit-learn's), in the target's own units."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """MAE, RMSE and R^2 of ``y_pred`` against ``y_true`` (MAE and RMSE in the target's unit,
    e.g. eV/atom); NaN where a value is undefined (no rows; R^2 of a constant target)."""
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.float64).ravel()
    n = len(y_true)
    if n == 0:
        return {"mae": float("nan"), "rmse": float("nan"), "r2": float("nan"), "n": 0}
    constant = float(np.ptp(y_true)) == 0.0
    return {
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "rmse": float(np.sqrt(mean_squared_error(y_true, y_pred))),
        "r2": float("nan") if constant else float(r2_score(y_true, y_pred)),
        "n": n,
    }


def mean_predictor_mae(y_train: np.ndarray, y_test: np.ndarray) -> float:
    """MAE of always predicting the training mean: the floor any model must beat."""
    return float(mean_absolute_error(np.asarray(y_test, dtype=np.float64),
                                     np.full(len(y_test), np.mean(y_train), dtype=np.float64)))
