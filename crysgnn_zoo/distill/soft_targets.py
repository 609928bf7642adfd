"""Soft targets: what the teacher predicts for a crystal's target, for the student to fit too.

A regressor on the teacher's crystal embeddings (the mean of its atom embeddings, the features
baseline of ``benchmarks/features.py``) is fitted on the training crystals only. A training
crystal's soft target is the out-of-fold prediction of the folds that did not see it, so no
crystal's own label reaches its soft target (the student never gets a label through the teacher
that it would not get anyway). Only training crystals get one: the loss never reads the others.
"""
from __future__ import annotations

import numpy as np

#: the regressor: scikit-learn's gradient-boosted trees, one setting of the features baseline's grid
GBM_SETTINGS = {"learning_rate": 0.1, "max_leaf_nodes": 15, "max_iter": 300}
FOLDS = 5


def crystal_means(atom_rows: np.ndarray, node_ptr: np.ndarray) -> np.ndarray:
    """Per-crystal means ``(n_crystals, d)`` of per-atom rows ``(n_atoms, d)`` laid out by ``node_ptr``."""
    sums = np.add.reduceat(atom_rows, node_ptr[:-1], axis=0)
    return sums / np.diff(node_ptr)[:, None]


def out_of_fold(x: np.ndarray, y: np.ndarray, seed: int = 0, folds: int = FOLDS) -> np.ndarray:
    """Predictions for every row of ``x``, each from a regressor fitted on the other folds."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    folds = max(2, min(folds, len(y)))
    order = np.random.default_rng(seed).permutation(len(y))
    out = np.empty(len(y), dtype=np.float64)
    for part in np.array_split(order, folds):
        rest = np.setdiff1d(order, part)
        model = HistGradientBoostingRegressor(random_state=seed, **GBM_SETTINGS).fit(x[rest], y[rest])
        out[part] = model.predict(x[part])
    return out


def soft_targets(atom_embeddings: np.ndarray, node_ptr: np.ndarray, y: np.ndarray, train: np.ndarray,
                 seed: int = 0) -> np.ndarray:
    """``(n_crystals,)`` soft targets in ``y``'s units: out-of-fold teacher predictions for the
    crystals at ``train``, NaN elsewhere."""
    x = crystal_means(np.asarray(atom_embeddings, dtype=np.float64), node_ptr)
    out = np.full(len(node_ptr) - 1, np.nan)
    out[train] = out_of_fold(x[train], np.asarray(y, dtype=np.float64)[train], seed)
    return out
