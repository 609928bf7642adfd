"""Score a saved or released model on labelled crystals: MAE, RMSE and R2, per-crystal errors, a parity plot.

    import crysgnn_zoo as cz
    result = cz.evaluate("cgcnn-mp37k-band-gap", "my_gaps.csv")        # the model's target column
    result.metrics            # {"mae": ..., "rmse": ..., "r2": ..., "n": ...} in the model's unit
    result.table              # id, target, prediction, error, std, ..., read_error, unseen_elements
    result.parity_plot("parity.png")

The labelled data follow the input rules of :func:`crysgnn_zoo.predict.predict` (a CSV with an id
and a CIF column, a folder with ``id_prop.csv``, a data set name); the labels are the column named
like the model's target, or ``target=``. An unreadable structure or a missing label keeps its row
with the reason and is left out of the metrics (counted).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crysgnn_zoo.data.errors import NoUsableDataError
from crysgnn_zoo.data.sources import open_source
from crysgnn_zoo.errors import ConfigError
from crysgnn_zoo.predict import load_model, predict
from crysgnn_zoo.train.metrics import regression_metrics


@dataclass
class Evaluation:
    """What :func:`evaluate` measured.

    Attributes:
        model: the model's name or folder, as given.
        data: the labelled data, as given.
        target: the label column scored against.
        unit: the model's unit (eV/atom, eV, GPa, ...).
        metrics: ``mae``, ``rmse`` (in ``unit``), ``r2`` and ``n`` (crystals scored).
        table: one row per input crystal: ``id``, ``target`` (the label), ``prediction``,
            ``error`` (prediction minus label), ``std``/``interval_95``/``in_domain`` (a model with an
            uncertainty model), ``unit``, ``read_error`` (why a structure could not be read, else ""),
            ``unseen_elements``, ``clipped``.
        n_unreadable: structures that could not be read; n_unlabelled: rows without a numeric label.
    """

    model: str
    data: str
    target: str
    unit: str
    metrics: dict[str, float]
    table: pd.DataFrame
    n_unreadable: int
    n_unlabelled: int

    def summary(self) -> str:
        u = f" {self.unit}" if self.unit else ""
        m = self.metrics
        return (f"{self.model} on {self.data} ({self.target}): MAE {m['mae']:.4f}{u}, RMSE {m['rmse']:.4f}{u}, "
                f"R2 {m['r2']:.3f} over {m['n']} crystals; {self.n_unreadable} unreadable, "
                f"{self.n_unlabelled} without a numeric label (rows kept, not scored)")

    def parity_plot(self, path: str | Path) -> Path:
        """Predicted against labelled values (PNG), with the metrics in the title."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        scored = self.table.dropna(subset=["target", "prediction"])
        fig, ax = plt.subplots(figsize=(5, 5))
        ax.scatter(scored["target"], scored["prediction"], s=8, alpha=0.6)
        lo = float(min(scored["target"].min(), scored["prediction"].min()))
        hi = float(max(scored["target"].max(), scored["prediction"].max()))
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
        unit = f" ({self.unit})" if self.unit else ""
        ax.set(xlabel=f"{self.target}{unit}", ylabel=f"predicted{unit}",
               title=f"MAE {self.metrics['mae']:.4g}, R2 {self.metrics['r2']:.3f}, n={self.metrics['n']}")
        fig.tight_layout()
        path = Path(path)
        fig.savefig(path, dpi=120)
        plt.close(fig)
        return path


def labels(data: str | Path, target: str | None, model_target: str | None) -> tuple[str, dict[str, float]]:
    """``(label column, id -> label)`` of labelled data; the column is ``target``, else the model's.

    Raises:
        ConfigError: the data have no such column (the message lists theirs).
    """
    source = open_source(data)
    column = target or model_target
    if column not in source.targets:
        have = sorted(source.targets) or "none"
        raise ConfigError(f"{data}: no label column {column!r} to score against (its columns: {have}); "
                          "name one with --target")
    return column, {e.id: float(e.targets.get(column, np.nan)) for e in source.entries()}


def evaluate(model: Any, data: str | Path, target: str | None = None, *, batch_size: int = 256,
             device: str = "cpu", workers: int = 1, progress: bool = False) -> Evaluation:
    """Score ``model`` (a released name, a checkpoint folder or a loaded predictor) on ``data``.

    Raises:
        ConfigError: no label column; NoUsableDataError: no crystal could be both read and scored.
    """
    predictor = load_model(model, device) if isinstance(model, (str, Path)) else model
    column, by_id = labels(data, target, getattr(predictor, "target", None))
    table = predict(predictor, [str(data)], batch_size=batch_size, device=device, workers=workers, progress=progress)
    table = table.rename(columns={"error": "read_error"})
    table.insert(1, "target", [by_id.get(i, np.nan) for i in table["id"]])
    table.insert(3, "error", table["prediction"] - table["target"])
    scored = table.dropna(subset=["target", "prediction"])
    if len(scored) == 0:
        raise NoUsableDataError(str(data), f"no crystal could be both read and scored against {column!r}")
    metrics = regression_metrics(scored["target"].to_numpy(), scored["prediction"].to_numpy())
    return Evaluation(str(model), str(data), column, predictor.unit, metrics, table,
                      int((table["read_error"] != "").sum()), int(table["target"].isna().sum()))
