"""Each bad input gets its named error."""
from __future__ import annotations

import numpy as np
import pytest

from crysgnn_zoo.data.errors import DegenerateCellError, StructureError, UnknownElementError
from crysgnn_zoo.data.sources import dataset_source
from crysgnn_zoo.data.structures import atoms_from_arrays, atoms_from_cif, atoms_from_jarvis_dict, atoms_from_poscar


@pytest.fixture(scope="module")
def good_cif():
    return next(dataset_source("mp_37k_sample").entries()).payload


def test_good_cif_keeps_the_written_cell(good_cif):
    atoms = atoms_from_cif(good_cif, "ok.cif")
    n_sites = good_cif.split("_atom_site_occupancy\n")[1].strip().count("\n") + 1
    assert atoms.num_atoms == n_sites


def test_malformed_cif(good_cif):
    with pytest.raises(StructureError, match=r"^broken.cif: malformed CIF"):
        atoms_from_cif("data_x\n_cell_length_a 3\nloop_\n_atom_site_fract_x\n garbage", "broken.cif")
    with pytest.raises(StructureError, match="malformed CIF"):
        atoms_from_cif("just some words", "words.cif")


def test_empty_cell(good_cif):
    header = good_cif.split("loop_\n _atom_site_type_symbol")[0]
    with pytest.raises(StructureError, match=r"empty.cif: empty cell"):
        atoms_from_cif(header, "empty.cif")
    with pytest.raises(StructureError, match="empty cell"):
        atoms_from_arrays(np.eye(3), np.zeros((0, 3)), [], "rec 7")


def test_unknown_element(good_cif):
    sites = good_cif.split("_atom_site_occupancy\n")[1]
    symbol = sites.split()[0]
    bad = good_cif.replace(f"  {symbol}  ", "  Qq  ", 1)
    with pytest.raises(UnknownElementError, match=r"qq.cif: unknown element 'Qq'"):
        atoms_from_cif(bad, "qq.cif")
    with pytest.raises(UnknownElementError, match="outside the supported range"):
        atoms_from_arrays(np.eye(3) * 4, np.zeros((1, 3)), ["Og"], "og")


def test_degenerate_lattice_and_nan():
    with pytest.raises(DegenerateCellError, match="degenerate cell: lattice vector\(s\) a, b, c have zero length"):
        atoms_from_arrays(np.zeros((3, 3)), np.zeros((1, 3)), ["Na"], "flat")
    with pytest.raises(StructureError, match="NaN"):
        atoms_from_arrays(np.eye(3), np.full((1, 3), np.nan), ["Na"], "nan")


def test_poscar_and_jarvis_record():
    poscar = "Si\n1.0\n0 2.7 2.7\n2.7 0 2.7\n2.7 2.7 0\nSi\n2\ndirect\n0 0 0\n0.25 0.25 0.25\n"
    a = atoms_from_poscar(poscar, "POSCAR")
    b = atoms_from_jarvis_dict(a.to_dict(), "rec")
    assert a.num_atoms == b.num_atoms == 2
    with pytest.raises(StructureError, match="malformed jarvis atoms record"):
        atoms_from_jarvis_dict({"coords": []}, "rec 3")
