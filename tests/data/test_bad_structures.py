"""Structures that would give a silently wrong graph get a named error instead:
disorder, overlapping atoms, degenerate cells; and text that is valid but not UTF-8 is read."""
from __future__ import annotations

import numpy as np
import pytest

from shared_data import requires_shared
from crysgnn_zoo.data.checks import MIN_ATOM_DISTANCE
from crysgnn_zoo.data.errors import DegenerateCellError, DisorderError, OverlappingAtomsError, StructureError
from crysgnn_zoo.data.sources import dataset_source, open_source
from crysgnn_zoo.data.structures import (
    atoms_from_arrays,
    atoms_from_cif,
    atoms_from_jarvis_dict,
    atoms_from_poscar,
    parse_structure,
)

_CIF = """data_test
_symmetry_space_group_name_H-M   '{hm}'
_cell_length_a   4.0
_cell_length_b   4.0
_cell_length_c   {c}
_cell_angle_alpha   90
_cell_angle_beta   90
_cell_angle_gamma   {gamma}
_symmetry_Int_Tables_number   {number}
loop_
 _symmetry_equiv_pos_site_id
 _symmetry_equiv_pos_as_xyz
{symops}
loop_
 _atom_site_type_symbol
 _atom_site_label
 _atom_site_symmetry_multiplicity
 _atom_site_fract_x
 _atom_site_fract_y
 _atom_site_fract_z
 _atom_site_occupancy
{sites}
"""
_P1 = dict(hm="P 1", number=1, symops="  1  'x, y, z'")
_PM1 = dict(hm="P -1", number=2, symops="  1  'x, y, z'\n  2  '-x, -y, -z'")


def cif(sites: list[tuple], c: float = 4.0, gamma: float = 90, group: dict = _P1) -> str:
    """CIF text of a tetragonal cell; ``sites``: (symbol, label, x, y, z, occupancy)."""
    rows = "\n".join(f"  {s}  {lab}  1  {x}  {y}  {z}  {occ}" for s, lab, x, y, z, occ in sites)
    return _CIF.format(c=c, gamma=gamma, sites=rows, **group)


NACL = [("Na", "Na1", 0, 0, 0, 1), ("Cl", "Cl1", 0.5, 0.5, 0.5, 1)]


def test_ordered_cif_reads():
    atoms = atoms_from_cif(cif(NACL), "nacl.cif")
    assert atoms.elements == ["Na", "Cl"]


def test_partially_occupied_site_names_file_site_and_occupancy():
    text = cif([("Fe", "Fe1", 0, 0, 0, 0.5), ("O", "O1", 0.5, 0.5, 0.5, 1)])
    with pytest.raises(DisorderError, match=r"^partial.cif: .*site Fe1 \(Fe\) has occupancy 0.5"):
        atoms_from_cif(text, "partial.cif")


def test_mixed_site_written_as_two_rows_is_disorder_not_a_pick():
    text = cif([("Fe", "Fe1", 0, 0, 0, 0.5), ("Co", "Co1", 0, 0, 0, 0.5), ("O", "O1", 0.5, 0.5, 0.5, 1)])
    with pytest.raises(DisorderError) as info:
        atoms_from_cif(text, "mixed.cif")
    assert "Fe1" in str(info.value) and "Co1" in str(info.value) and "0.5" in str(info.value)


def test_mixed_species_in_one_type_symbol_is_disorder():
    text = cif([("Fe0.5Co0.5", "M1", 0, 0, 0, 1), ("O", "O1", 0.5, 0.5, 0.5, 1)])
    with pytest.raises(DisorderError, match=r"site M1 .*'Fe0.5Co0.5'"):
        atoms_from_cif(text, "mixed_symbol.cif")


def test_oxidation_states_are_not_mixtures():
    text = cif([("Na1+", "Na1", 0, 0, 0, 1), ("Cl1-", "Cl1", 0.5, 0.5, 0.5, 1)])
    assert atoms_from_cif(text, "ions.cif").elements == ["Na", "Cl"]


def test_two_atoms_on_one_position_are_not_merged():
    text = cif([("Na", "Na1", 0, 0, 0, 1), ("Na", "Na2", 0, 0, 0, 1), ("Cl", "Cl1", 0.5, 0.5, 0.5, 1)])
    with pytest.raises(OverlappingAtomsError, match=r"^dup.cif: .*Na1.*Na2"):
        atoms_from_cif(text, "dup.cif")


def test_symmetry_images_too_close_are_caught_on_the_built_structure():
    # P-1 maps (0.02, 0, 0) to (-0.02, 0, 0): two Na 0.16 Angstrom apart, not merged by the reader
    text = cif([("Na", "Na1", 0.02, 0, 0, 1), ("Cl", "Cl1", 0.5, 0.5, 0.5, 1)], group=_PM1)
    with pytest.raises(OverlappingAtomsError, match=r"0.16 Angstrom apart"):
        atoms_from_cif(text, "images.cif")


def _close_poscar() -> str:
    return "NaCl\n1.0\n4 0 0\n0 4 0\n0 0 4\nNa Cl\n1 2\ndirect\n0 0 0\n0.01 0 0\n0.5 0.5 0.5\n"


@pytest.mark.parametrize("reader", ["cif", "poscar", "jarvis", "arrays"])
def test_close_atoms_are_an_error_for_every_reader(reader):
    lattice, frac, symbols = np.eye(3) * 4.0, np.array([[0, 0, 0], [0.01, 0, 0], [0.5, 0.5, 0.5]]), ["Na", "Cl", "Cl"]
    with pytest.raises(OverlappingAtomsError) as info:
        if reader == "cif":
            atoms_from_cif(cif([("Na", "Na1", 0, 0, 0, 1), ("Cl", "Cl2", 0.01, 0, 0, 1), NACL[1]]), "x")
        elif reader == "poscar":
            atoms_from_poscar(_close_poscar(), "x")
        elif reader == "jarvis":
            record = {"lattice_mat": lattice.tolist(), "coords": frac.tolist(), "elements": symbols}
            atoms_from_jarvis_dict(record, "x")
        else:
            atoms_from_arrays(lattice, frac, symbols, "x")
    message = str(info.value)
    assert "atoms 0 (Na) and 1 (Cl) are 0.04 Angstrom apart" in message
    assert f"{MIN_ATOM_DISTANCE}" in message


def test_atom_closer_than_tolerance_to_its_own_image():
    with pytest.raises(OverlappingAtomsError, match="its own periodic image"):
        atoms_from_arrays(np.diag([0.3, 5.0, 5.0]), np.zeros((1, 3)), ["H"], "thin")


def test_overlap_tolerance_passes_every_embedded_crystal():
    src = dataset_source("mp_37k_sample")
    for entry in src.entries():
        parse_structure(entry.fmt, entry.payload, entry.where)


def test_zero_length_cell_edge_is_named():
    with pytest.raises(DegenerateCellError, match=r"^zero.cif: degenerate cell: .*c = 0 Angstrom"):
        atoms_from_cif(cif(NACL, c=0.0), "zero.cif")


def test_coplanar_cell_vectors_are_named():
    with pytest.raises(DegenerateCellError, match=r"degenerate cell: .*coplanar.*gamma = 180"):
        atoms_from_cif(cif(NACL, gamma=180), "flat.cif")
    poscar = "flat\n1.0\n4 0 0\n0 4 0\n4 4 0\nNa\n1\ndirect\n0 0 0\n"
    with pytest.raises(DegenerateCellError, match="coplanar"):
        atoms_from_poscar(poscar, "POSCAR")


def test_latin1_comment_in_a_cif_file_is_read(tmp_path):
    path = tmp_path / "latin1.cif"
    path.write_bytes(("# Caf\xe9 structure, 20\xb0C\n" + cif(NACL)).encode("latin-1"))
    atoms = parse_structure("file", str(path), str(path))
    assert atoms.elements == ["Na", "Cl"]


def test_latin1_cell_in_a_csv_source_is_read(tmp_path):
    path = tmp_path / "latin1.csv"
    text = 'material_id,cif,y\nm-1,"# \xc5ngstr\xf6m\n' + cif(NACL) + '",1.5\n'
    path.write_bytes(text.encode("latin-1"))
    (entry,) = list(open_source(path).entries())
    assert entry.targets == {"y": 1.5}
    assert parse_structure(entry.fmt, entry.payload, entry.where).elements == ["Na", "Cl"]


@pytest.mark.parametrize("line, words", [("_cell_length_a   -4.0", "_cell_length_a is -4: a cell length must be positive"),
                                         ("_cell_angle_alpha   -90", "_cell_angle_alpha is -90: a cell angle must lie"),
                                         ("_cell_angle_beta   270", "_cell_angle_beta is 270: a cell angle must lie")])
def test_negative_lengths_and_angles_outside_0_180_are_named(line, words):
    tag = line.split()[0]
    text = "\n".join(line if row.startswith(tag + " ") else row for row in cif(NACL).splitlines())
    with pytest.raises(StructureError, match=words):
        atoms_from_cif(text, "neg.cif")


def test_non_numeric_cell_is_named():
    text = cif(NACL).replace("_cell_length_a   4.0", "_cell_length_a   nan")
    with pytest.raises(DegenerateCellError, match="not finite"):
        atoms_from_cif(text, "nan.cif")


@pytest.mark.parametrize("dataset, n", [("mp_37k_sample", 150), pytest.param("perov_5", 40, marks=requires_shared),
                                        pytest.param("carbon_24", 40, marks=requires_shared)])
def test_p1_fast_path_builds_what_the_ase_reader_builds(dataset, n):
    import io
    import itertools
    import warnings

    from ase.io.cif import parse_cif

    from crysgnn_zoo.data.cif import p1_atoms
    from crysgnn_zoo.data.sources import open_source

    used = 0
    for entry in itertools.islice((e for e in open_source(dataset).entries() if e.fmt == "cif"), n):
        block = [b for b in parse_cif(io.StringIO(entry.payload)) if b.has_structure()][0]
        fast = p1_atoms(block)
        if fast is None:
            continue
        used += 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = block.get_atoms(fractional_occupancies=False)
        assert (fast.numbers == ref.numbers).all() and np.array_equal(fast.cell.array, ref.cell.array)
        assert (fast.pbc == ref.pbc).all()
        np.testing.assert_allclose(fast.positions, ref.positions, rtol=0, atol=1e-10)
    assert used > 0


def test_p1_duplicate_sites_are_named_by_label():
    text = cif([("Na", "Na1", 0, 0, 0, 1), ("Na", "Na2", 0.9999, 0, 0, 1), ("Cl", "Cl1", 0.5, 0.5, 0.5, 1)])
    with pytest.raises(OverlappingAtomsError, match=r"Na1 \(Na\) and Na2 \(Na\) are on the same position"):
        atoms_from_cif(text, "dup_p1.cif")
