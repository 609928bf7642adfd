"""Regression metrics (scikit-learn's), in the target's own units."""
from __future__ import annotations

import logging

import numpy as np
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

log = logging.getLogger(__name__)


def classification_metrics(label: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """ROC-AUC and accuracy (at probability 0.5) of predicted probabilities against 0/1 labels,
    beside the regression metrics of the probability (MAE, RMSE: the Brier score's root, R2);
    AUC is NaN when only one class is present."""
    from sklearn.metrics import roc_auc_score

    label = np.asarray(label, dtype=np.float64).ravel()
    probability = np.asarray(probability, dtype=np.float64).ravel()
    out = regression_metrics(label, probability)
    both = len(np.unique(label)) == 2
    out["roc_auc"] = float(roc_auc_score(label, probability)) if both else float("nan")
    out["accuracy"] = float(((probability > 0.5) == (label > 0.5)).mean()) if len(label) else float("nan")
    out["positive_share"] = float(label.mean()) if len(label) else float("nan")
    return out


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


#: Validation predictions whose spread is below this fraction of the targets' count as constant.
CONSTANT_SPREAD = 0.05


def prediction_spread(y: np.ndarray, p: np.ndarray) -> float:
    """The standard deviation of predictions ``p`` as a fraction of the targets' ``y`` (NaN when
    the targets do not vary): under :data:`CONSTANT_SPREAD` the predictions count as constant."""
    return float(np.std(p) / np.std(y)) if len(y) > 1 and np.std(y) > 0 else float("nan")


def learned_check(y_val: np.ndarray, p_val: np.ndarray, warn: bool = True) -> dict:
    """``{"val": metrics}``, plus ``{"not_learned": reason}`` when the model learned nothing a user
    can rank by: validation R2 <= 0, or predictions nearly constant (their standard deviation under
    :data:`CONSTANT_SPREAD` of the targets'). MAE alone can look fine then: on a target that is
    mostly zero, predicting the bound beats the mean predictor's MAE. Logged as a warning (``warn``)."""
    metrics = regression_metrics(y_val, p_val)
    spread = prediction_spread(y_val, p_val)
    reasons = []
    if np.isfinite(metrics["r2"]) and metrics["r2"] <= 0:
        reasons.append(f"validation R2 {metrics['r2']:.3f} <= 0 (no better than the mean)")
    if np.isfinite(spread) and spread < CONSTANT_SPREAD:
        reasons.append(f"validation predictions nearly constant (spread {spread:.3f} of the targets')")
    if not reasons:
        return {"val": metrics}
    reason = "; ".join(reasons)
    if warn:
        log.warning("the model learned nothing usable: %s; try another output bound, learning rate or more epochs",
                    reason)
    return {"val": metrics, "not_learned": reason}
