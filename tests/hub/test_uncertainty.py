"""Post-hoc uncertainty: calibrated on validation, verified by hash, returned by predict."""
from __future__ import annotations

import json

import numpy as np
import pytest

from crysgnn_zoo.config import TrainConfig
from crysgnn_zoo.errors import WeightsVerificationError
from crysgnn_zoo.hub.uncertainty import UNCERTAINTY_FILE, Uncertainty, coverage_report, fit


def test_a_noise_that_grows_away_from_the_training_data_is_found_and_calibrated():
    """Errors whose spread grows with the distance from the training cloud: the fitted std
    covers about 68 % and 95 % of new crystals and ranks their errors."""
    rng = np.random.default_rng(0)
    train = rng.normal(0, 1, (800, 6))

    def crystals(n):
        x = rng.normal(0, 1, (n, 6)) * rng.uniform(0.5, 3.0, (n, 1))
        sigma = 0.05 + 0.2 * np.linalg.norm(x, axis=1)
        return x, rng.normal(0, sigma)

    val_x, val_err = crystals(600)
    unc = fit(train, val_x, np.zeros(600), val_err)
    test_x, test_err = crystals(2000)
    std, in_domain = unc.evaluate(test_x, np.zeros(2000))
    report = coverage_report(test_err, std, in_domain, unc)
    assert 0.62 <= report["coverage_68"] <= 0.74 and 0.92 <= report["coverage_95"] <= 0.98
    assert report["spearman"] > 0.3
    assert set(unc.validation) == {"laplace", "knn", "combined"} and unc.method in unc.validation
    far = unc.evaluate(train[:5] * 50, np.zeros(5))[1]
    assert not far.any() and unc.evaluate(train[:50], np.zeros(50))[1].mean() > 0.9


def test_errors_that_grow_with_the_predicted_value_choose_the_combined_method():
    """A band gap's errors grow with the gap itself, whatever the features say: only ``combined``
    (which sees the prediction) can follow that."""
    rng = np.random.default_rng(3)
    train, val_x = rng.normal(size=(500, 5)), rng.normal(size=(800, 5))
    val_pred = rng.exponential(1.0, 800)
    val_err = rng.normal(0, 0.02 + 0.3 * val_pred)
    unc = fit(train, val_x, val_pred, val_err)
    assert unc.method == "combined"
    std, _ = unc.evaluate(val_x, val_pred)
    assert coverage_report(val_err, std)["spearman"] > 0.5


def test_saved_and_loaded_it_gives_the_same_std(tmp_path):
    rng = np.random.default_rng(1)
    unc = fit(rng.normal(size=(100, 4)), rng.normal(size=(40, 4)), rng.normal(size=40), rng.normal(size=40))
    sha = unc.save(tmp_path / UNCERTAINTY_FILE)
    again = Uncertainty.load(tmp_path / UNCERTAINTY_FILE)
    x, p = rng.normal(size=(10, 4)), rng.normal(size=10)
    assert np.allclose(unc.evaluate(x, p)[0], again.evaluate(x, p)[0]) and len(sha) == 64


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from crysgnn_zoo.train.run import train_model

    out = tmp_path_factory.mktemp("unc") / "run"
    result = train_model("mp_37k_sample", "formation_energy_per_atom", "cgcnn",
                         model_overrides={"n_conv": 1, "atom_dim": 16}, train_config=TrainConfig(epochs=4, lr=5e-3),
                         max_samples=300, split_sizes=(200, 50, 50), out_dir=out, workers=1, progress=False)
    return out / "checkpoint", result


def test_training_gives_the_checkpoint_its_uncertainty_and_predict_returns_it(trained):
    from crysgnn_zoo.predict import predict

    folder, result = trained
    card = json.loads((folder / "card.json").read_text())
    assert card["extra"]["uncertainty"]["sha256"] and (folder / UNCERTAINTY_FILE).exists()
    assert "coverage_95" in result.extra["uncertainty"]["test"] and "uncertainty (" in result.summary()
    table = predict(str(folder), "mp_37k_sample")
    assert {"std", "interval_95", "in_domain"} <= set(table.columns) and (table["std"] > 0).all()
    assert (table["interval_95"] > table["std"]).all()
    assert table.in_domain.mean() > 0.5
    plain = predict(str(folder), "mp_37k_sample", uncertainty=False)
    assert "std" not in plain and np.allclose(plain.prediction, table.prediction, atol=1e-5)


def test_a_swapped_uncertainty_file_is_refused(trained, tmp_path):
    import shutil

    from crysgnn_zoo.hub.checkpoint import load_checkpoint

    folder = tmp_path / "copy"
    shutil.copytree(trained[0], folder)
    rng = np.random.default_rng(2)
    fit(rng.normal(size=(50, 3)), rng.normal(size=(20, 3)), rng.normal(size=20), rng.normal(size=20)).save(
        folder / UNCERTAINTY_FILE)
    with pytest.raises(WeightsVerificationError, match="uncertainty.npz"):
        load_checkpoint(folder)
