"""Give a saved property model its uncertainty model: fit on its training crystals, calibrate on
its validation crystals, measure on its test crystals, store beside the weights, record in the card.

    from crysgnn_zoo.hub.calibrate import calibrate_checkpoint
    record = calibrate_checkpoint("runs/fe/checkpoint", store, split)   # the run's own store and split
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from crysgnn_zoo.data.splits import Split
from crysgnn_zoo.graphs.store import GraphStore
from crysgnn_zoo.hub.checkpoint import Predictor
from crysgnn_zoo.hub.resolve import load_released
from crysgnn_zoo.hub.uncertainty import UNCERTAINTY_FILE, coverage_report, fit


def _part(predictor: Predictor, store: GraphStore, index: np.ndarray, device: str):
    """``(features, predictions as returned, targets)`` of crystals ``index``."""
    part = store.subset(index)
    features, values, _ = predictor.readout(part, device=device)
    return features, values.astype(np.float64), part.target(predictor.target).astype(np.float64)


def calibrate_checkpoint(folder: str | Path, store: GraphStore, split: Split, device: str = "cpu",
                         seed: int = 0) -> dict:
    """Fit, calibrate and store the uncertainty model of checkpoint ``folder`` (trained on ``split``
    of ``store``); returns the record written to its card's ``extra.uncertainty``: file, SHA-256,
    method and scale, the validation fits, and the test figures (coverage, Spearman, NLL)."""
    folder = Path(folder)
    (folder / UNCERTAINTY_FILE).unlink(missing_ok=True)  # refit from the weights alone
    predictor = load_released(folder, device)  # a student fed by its teacher comes with it
    train_f, _, _ = _part(predictor, store, split.train, device)
    val_f, val_p, val_y = _part(predictor, store, split.val, device)
    unc = fit(train_f, val_f, val_p, val_p - val_y, seed=seed)
    test_f, test_p, test_y = _part(predictor, store, split.test, device)
    std, in_domain = unc.evaluate(test_f, test_p)
    val_std, val_domain = unc.evaluate(val_f, val_p)
    record = {"file": UNCERTAINTY_FILE, "sha256": unc.save(folder / UNCERTAINTY_FILE), "method": unc.method,
              "weights": unc.weights.tolist(), "domain_radius": unc.domain_radius, "unit": predictor.unit,
              "choice": unc.validation, "validation": coverage_report(val_p - val_y, val_std, val_domain, unc),
              "test": coverage_report(test_p - test_y, std, in_domain, unc)}
    card_path = folder / "card.json"
    card = json.loads(card_path.read_text())
    card.setdefault("extra", {})["uncertainty"] = record
    tmp = card_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(card, indent=1))
    tmp.replace(card_path)
    return record
