"""Embeddings for users: invariant to atom order and to the choice of cell, every input kept, files round-trip."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from crysgnn_zoo.cli import main
from crysgnn_zoo.data.sources import dataset_source
from crysgnn_zoo.embed import embed, load_encoder


@pytest.fixture(scope="module")
def teacher():
    return load_encoder("crysgnn-v1")


@pytest.fixture(scope="module")
def entries():
    return [e for _, e in zip(range(4), dataset_source("mp_37k_sample").entries())]


def _ase(entry):
    import ase.io

    return ase.io.read(io.StringIO(entry.payload), format="cif")


def _vector(table, row=0):
    return table.loc[row, [c for c in table.columns if c.startswith("e") and c[1:].isdigit()]].to_numpy(float)


def test_a_crystal_embedding_ignores_atom_order_and_the_choice_of_cell(teacher, entries):
    atoms = _ase(entries[1])
    base = _vector(embed(teacher, atoms))
    shuffled = atoms[np.random.default_rng(0).permutation(len(atoms))]
    supercell = atoms.repeat((2, 1, 2))
    np.testing.assert_allclose(_vector(embed(teacher, shuffled)), base, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(_vector(embed(teacher, supercell)), base, rtol=1e-4, atol=1e-4)
    assert not np.allclose(_vector(embed(teacher, _ase(entries[2]))), base, atol=1e-2)  # another crystal differs


def test_atom_level_rows_name_crystal_site_and_element(teacher, entries):
    atoms = _ase(entries[0])
    table = embed(teacher, [atoms, atoms], level="atom")
    assert len(table) == 2 * len(atoms) and table.site.tolist()[:len(atoms)] == list(range(len(atoms)))
    assert table.element.tolist()[:len(atoms)] == atoms.get_chemical_symbols()
    crystal = embed(teacher, atoms)
    mean = table.iloc[:len(atoms)][[f"e{k}" for k in range(64)]].to_numpy().mean(axis=0)
    np.testing.assert_allclose(mean, _vector(crystal), rtol=1e-5, atol=1e-5)  # the stated pooling
    assert crystal.attrs["pooling"].startswith("mean")


def test_a_bad_structure_keeps_its_row_with_the_reason(teacher, entries, tmp_path):
    folder = tmp_path / "cifs"
    folder.mkdir()
    (folder / "a.cif").write_text(entries[0].payload)
    (folder / "b.cif").write_text("data_broken\n_cell_length_a 3\n")
    table = embed(teacher, folder)
    assert table.id.tolist() == ["a", "b"] and table.error[0] == "" and table.error[1] != ""
    assert np.isnan(_vector(table, 1)).all() and np.isfinite(_vector(table, 0)).all()
    atoms = embed(teacher, folder, level="atom")
    assert atoms[atoms.id == "b"].site.tolist() == [-1]


@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".npz"])
def test_cli_round_trip(teacher, entries, tmp_path, suffix, capsys):
    folder = tmp_path / "cifs"
    folder.mkdir()
    for e in entries[:3]:
        (folder / f"{e.id}.cif").write_text(e.payload)
    out = tmp_path / f"emb{suffix}"
    assert main(["embed", "--model", "crysgnn-v1", str(folder), "--out", str(out), "--no-progress"]) == 0
    assert "3 of 3 structures embedded by crysgnn-v1 (64 numbers per crystal" in capsys.readouterr().err
    direct = embed(teacher, folder)
    if suffix == ".npz":
        data = np.load(out)
        assert data["ids"].tolist() == direct.id.tolist()
        got = data["embeddings"]
    else:
        table = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out, keep_default_na=False)
        assert table.id.tolist() == direct.id.tolist()
        got = table[[f"e{k}" for k in range(64)]].to_numpy(float)
    np.testing.assert_allclose(got, direct[[f"e{k}" for k in range(64)]].to_numpy(float), rtol=1e-5, atol=1e-6)


def test_atom_level_npz_and_an_unknown_extension(tmp_path, entries, capsys):
    (tmp_path / "a.cif").write_text(entries[0].payload)
    assert main(["embed", "--model", "crysgnn-v1", str(tmp_path / "a.cif"), "--level", "atom",
                 "--out", str(tmp_path / "atoms.npz"), "--no-progress"]) == 0
    data = np.load(tmp_path / "atoms.npz")
    assert data["embeddings"].shape == (len(data["sites"]), 64) and len(data["elements"]) == len(data["sites"])
    assert main(["embed", "--model", "crysgnn-v1", str(tmp_path / "a.cif"), "--out", str(tmp_path / "x.txt")]) != 0
    assert ".parquet, .csv or .npz" in capsys.readouterr().err


def test_a_property_model_embeds_with_its_own_graphs():
    import crysgnn_zoo_weights

    if "cgcnn-mp37k-formation-energy" not in crysgnn_zoo_weights.available():
        pytest.skip("the weights package lacks cgcnn-mp37k-formation-energy")
    table = embed("cgcnn-mp37k-formation-energy", "mp_37k_sample")
    assert len(table) == 1000 and table.attrs["dim"] == 64 and (table.error == "").all()
