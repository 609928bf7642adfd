"""Post-hoc uncertainty for any trained property model, and an applicability (domain) check.

Computed once from a model's own training crystals, calibrated on its validation crystals, and
stored beside the weights as ``uncertainty.npz`` (its SHA-256 in the card's ``extra.uncertainty``):

- ``laplace``: last-layer prediction rigidity. With ``F`` the readout features (the input of the
  output layer, plus a constant) of the training crystals, ``u(x) = sqrt(f(x)^T (F^T F + lam I)^-1 f(x))``:
  large where the training crystals constrain the output layer little.
- ``knn``: ``u(x)`` = mean Euclidean distance from ``x``'s standardised readout features to its
  :data:`K_NEIGHBOURS` nearest training crystals (at most :data:`MAX_REFERENCE` of them, seeded).

Each becomes a standard deviation in the target's unit, ``log std = w0 + w1 log u`` (``combined``:
both measures and the standardised prediction, for targets whose errors grow with the value, such
as band gaps), fitted by Gaussian negative log-likelihood on the validation crystals; the method
is chosen by its NLL on one half of the validation crystals when fitted on the other (both ways). ``in_domain`` is ``knn`` distance at most the 95th percentile of the
validation crystals' distances: a crystal farther from the training data than 19 in 20 validation
crystals is flagged.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from crysgnn_zoo.backend import for_device
from crysgnn_zoo.graphs.loader import GraphLoader
from crysgnn_zoo.graphs.store import GraphStore

UNCERTAINTY_FILE = "uncertainty.npz"
METHODS = ("laplace", "knn", "combined")
#: log std is kept within +-this (std between 2e-9 and 5e8 target units): a fit on a handful of
#: validation crystals cannot run off to an infinite or zero width.
LOG_STD_LIMIT = 20.0
K_NEIGHBOURS = 5
MAX_REFERENCE = 5000
DOMAIN_QUANTILE = 0.95
#: Coverage levels whose interval widths are recalibrated on validation (the 68 % and 95 % ones among them).
LEVELS = tuple(sorted({round(float(p), 2) for p in np.linspace(0.05, 0.95, 19)} | {0.68}))


@torch.no_grad()
def readout_features(model: torch.nn.Module, store: GraphStore, batch_size: int = 256,
                     device: str = "cpu") -> tuple[np.ndarray, np.ndarray]:
    """``(features (n, d), raw outputs (n,))``: the input of the model's output layer ``out`` and
    its normalised output, for every crystal of ``store``."""
    model.to(device).eval()
    captured: list[torch.Tensor] = []
    hook = model.out.register_forward_pre_hook(lambda _m, args: captured.append(args[0].detach().float().cpu()))
    outputs = []
    try:
        loader = GraphLoader(store, np.arange(len(store)), None, batch_size,
                             with_vectors=getattr(model, "needs_vectors", False), backend=for_device(device))
        for g, _, _ in loader:
            outputs.append(model(g.to(device))[:, 0].float().cpu())
    finally:
        hook.remove()
    if not captured:
        return np.zeros((0, 0), np.float32), np.zeros(0, np.float32)
    return torch.cat(captured).numpy(), torch.cat(outputs).numpy()


def _with_bias(f: np.ndarray) -> np.ndarray:
    return np.hstack([f, np.ones((len(f), 1), f.dtype)]).astype(np.float64)


def _knn_distance(x: np.ndarray, ref: np.ndarray, k: int = K_NEIGHBOURS, chunk: int = 2048) -> np.ndarray:
    k = min(k, len(ref))
    out = np.empty(len(x))
    ref_sq = (ref ** 2).sum(1)
    for start in range(0, len(x), chunk):
        part = x[start:start + chunk]
        d2 = np.maximum((part ** 2).sum(1)[:, None] + ref_sq[None, :] - 2 * part @ ref.T, 0.0)
        out[start:start + chunk] = np.sqrt(np.partition(d2, k - 1, axis=1)[:, :k]).mean(1)
    return out


def gaussian_nll(err: np.ndarray, std: np.ndarray) -> float:
    """Mean negative log-likelihood of errors ``err`` under N(0, std^2)."""
    var = np.maximum(std, 1e-12) ** 2
    return float(np.mean(0.5 * np.log(2 * np.pi * var) + err ** 2 / (2 * var)))


def design(method: str, raw: dict[str, np.ndarray], z_pred: np.ndarray) -> np.ndarray:
    """The columns of ``log std`` for ``method``: a constant, then the log of each measure used
    (and the standardised prediction for ``combined``)."""
    cols = [np.ones(len(z_pred))]
    if method in ("laplace", "combined"):
        cols.append(np.log(np.maximum(raw["laplace"], 1e-12)))
    if method in ("knn", "combined"):
        cols.append(np.log(np.maximum(raw["knn"], 1e-12)))
    if method == "combined":
        cols.append(z_pred)
    return np.column_stack(cols)


def fit_weights(x: np.ndarray, err: np.ndarray) -> np.ndarray:
    """Weights ``w`` of ``log std = x @ w`` minimising the Gaussian NLL of ``err``."""
    from scipy.optimize import minimize

    def nll(w):
        log_std = np.clip(x @ w, -LOG_STD_LIMIT, LOG_STD_LIMIT)
        return float(np.mean(log_std + 0.5 * err ** 2 * np.exp(-2 * log_std)))

    w0 = np.zeros(x.shape[1])
    w0[0] = np.log(np.sqrt(np.mean(err ** 2)) or 1e-6)
    return minimize(nll, w0, method="L-BFGS-B").x


@dataclass
class Uncertainty:
    """A fitted uncertainty model (see the module docstring)."""

    method: str
    weights: np.ndarray
    pred_mean: float
    pred_std: float
    covariance: np.ndarray
    ref: np.ndarray
    mean: np.ndarray
    std_features: np.ndarray
    domain_radius: float
    quantiles: np.ndarray = field(default_factory=lambda: np.zeros(0))
    validation: dict = field(default_factory=dict)

    def half_width(self, std: np.ndarray, level: float = 0.95) -> np.ndarray:
        """Half-width of the central ``level`` interval (target units): ``std`` times the
        validation crystals' ``level`` quantile of ``|error| / std`` (a Gaussian's where none is stored)."""
        from scipy.stats import norm

        q = np.interp(level, LEVELS, self.quantiles) if len(self.quantiles) else norm.ppf(0.5 + level / 2)
        return np.asarray(std) * q

    def raw(self, features: np.ndarray) -> dict[str, np.ndarray]:
        """Both measures for ``features``: Laplace ``u`` and the nearest-neighbour distance."""
        fb = _with_bias(features)
        laplace = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", fb, self.covariance, fb), 0.0))
        knn = _knn_distance((features - self.mean) / self.std_features, self.ref.astype(np.float64))
        return {"laplace": laplace, "knn": knn}

    def evaluate(self, features: np.ndarray, predictions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(std in the target's unit, in_domain flags)`` for crystals with these readout features
        and predictions (target units)."""
        raw = self.raw(features)
        z = (np.asarray(predictions, np.float64) - self.pred_mean) / self.pred_std
        log_std = np.clip(design(self.method, raw, z) @ self.weights, -LOG_STD_LIMIT, LOG_STD_LIMIT)
        return np.exp(log_std), raw["knn"] <= self.domain_radius

    def save(self, path: str | Path) -> str:
        """Write the ``.npz`` (written whole, then renamed); returns its SHA-256."""
        buf = io.BytesIO()
        np.savez(buf, method=self.method, weights=self.weights, pred_mean=self.pred_mean, pred_std=self.pred_std,
                 covariance=self.covariance, ref=self.ref, mean=self.mean, std_features=self.std_features,
                 domain_radius=self.domain_radius, quantiles=self.quantiles)
        data = buf.getvalue()
        path = Path(path)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        return hashlib.sha256(data).hexdigest()

    @classmethod
    def load(cls, path: str | Path) -> "Uncertainty":
        with np.load(path, allow_pickle=False) as z:
            return cls(str(z["method"]), z["weights"], float(z["pred_mean"]), float(z["pred_std"]), z["covariance"],
                       z["ref"], z["mean"], z["std_features"], float(z["domain_radius"]), z["quantiles"])


def fit(train_features: np.ndarray, val_features: np.ndarray, val_predictions: np.ndarray, val_errors: np.ndarray,
        seed: int = 0, ridge: float = 1e-3) -> Uncertainty:
    """Fit the measures on the training features; for each method fit ``log std`` on the validation
    errors (prediction minus target, target units), choose the method by its NLL on one half of the
    validation crystals when fitted on the other (both ways, averaged), and refit it on all of them."""
    fb = _with_bias(train_features)
    gram = fb.T @ fb
    lam = ridge * float(np.trace(gram)) / len(gram)
    covariance = np.linalg.inv(gram + lam * np.eye(len(gram)))
    mean = train_features.mean(0).astype(np.float64)
    spread = train_features.std(0).astype(np.float64)
    spread[spread < 1e-8] = 1.0
    pick = np.random.default_rng(seed).permutation(len(train_features))[:MAX_REFERENCE]
    ref = ((train_features[np.sort(pick)] - mean) / spread).astype(np.float16)
    pred = np.asarray(val_predictions, np.float64)
    unc = Uncertainty("laplace", np.zeros(2), float(pred.mean()), float(pred.std()) or 1.0, covariance, ref, mean,
                      spread, float("inf"))
    raw = unc.raw(val_features)
    z = (pred - unc.pred_mean) / unc.pred_std
    halves = np.array_split(np.random.default_rng(seed).permutation(len(pred)), 2)
    scores = {}
    for method in METHODS:
        x = design(method, raw, z)
        held_out = [gaussian_nll(val_errors[b], np.exp(np.clip(x[b] @ fit_weights(x[a], val_errors[a]),
                                                                -LOG_STD_LIMIT, LOG_STD_LIMIT)))
                    for a, b in (halves, halves[::-1])]
        scores[method] = {"cross_fitted_nll": float(np.mean(held_out))}
    unc.method = min(scores, key=lambda m: scores[m]["cross_fitted_nll"])
    unc.weights = fit_weights(design(unc.method, raw, z), val_errors)
    ratio = np.abs(val_errors) / np.exp(np.clip(design(unc.method, raw, z) @ unc.weights, -LOG_STD_LIMIT,
                                                LOG_STD_LIMIT))
    unc.quantiles = np.quantile(ratio, LEVELS)  # errors are heavier-tailed than a Gaussian: widths from data
    unc.domain_radius = float(np.quantile(raw["knn"], DOMAIN_QUANTILE))
    unc.validation = scores
    return unc


def coverage_report(errors: np.ndarray, std: np.ndarray, in_domain: np.ndarray | None = None,
                    unc: Uncertainty | None = None) -> dict:
    """Coverage of the 68 % and 95 % intervals (``unc``'s recalibrated widths, else Gaussian ones),
    Spearman(|error|, std), Gaussian NLL, and the expected-against-observed coverage curve."""
    from scipy.stats import norm, spearmanr

    errors, std = np.abs(np.asarray(errors)), np.asarray(std)

    def covered(level: float) -> float:
        width = unc.half_width(std, level) if unc is not None else std * norm.ppf(0.5 + level / 2)
        return float(np.mean(errors <= width))

    report = {"n": int(len(errors)), "coverage_68": covered(0.68), "coverage_95": covered(0.95),
              "spearman": float(spearmanr(errors, std).statistic) if len(errors) > 2 else float("nan"),
              "nll": gaussian_nll(errors, std), "curve": [[p, covered(p)] for p in LEVELS]}
    if in_domain is not None:
        report["in_domain_share"] = float(np.mean(in_domain))
    return report
