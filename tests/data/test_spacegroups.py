"""Space-group settings a CIF names without listing its operations: built as that crystal or refused."""
from __future__ import annotations

import numpy as np
import pytest

from crysgnn_zoo.data.errors import StructureError
from crysgnn_zoo.data.structures import atoms_from_cif


def cif(hm=None, number=None, cell=(5.43, 5.43, 5.43, 90, 90, 90), sites=(), symops=None, setting_tag=None) -> str:
    lines = ["data_x"]
    if hm:
        lines.append(f"_symmetry_space_group_name_H-M   '{hm}'")
    if number:
        lines.append(f"_symmetry_Int_Tables_number   {number}")
    if setting_tag:
        lines.append(f"_symmetry_cell_setting   {setting_tag}")
    for tag, value in zip(("length_a", "length_b", "length_c", "angle_alpha", "angle_beta", "angle_gamma"), cell):
        lines.append(f"_cell_{tag}   {value}")
    if symops:
        lines += ["loop_", " _symmetry_equiv_pos_as_xyz", *(f"  '{op}'" for op in symops)]
    lines += ["loop_", " _atom_site_type_symbol", " _atom_site_label", " _atom_site_fract_x", " _atom_site_fract_y",
              " _atom_site_fract_z", *(f"  {s} {s}{i} {x} {y} {z}" for i, (s, x, y, z) in enumerate(sites))]
    return "\n".join(lines) + "\n"


SI_ORIGIN_2 = [("Si", 0.125, 0.125, 0.125)]  # diamond, 8a in origin choice 2: 8 atoms per cubic cell
BI2SE3_HEX = dict(cell=(4.14, 4.14, 28.6, 90, 90, 120), sites=[("Bi", 0, 0, 0.4), ("Se", 0, 0, 0), ("Se", 0, 0, 0.21)])
BI2SE3_RH = dict(cell=(9.84, 9.84, 9.84, 24.27, 24.27, 24.27),
                 sites=[("Bi", 0.4, 0.4, 0.4), ("Se", 0, 0, 0), ("Se", 0.21, 0.21, 0.21)])


def test_an_origin_choice_suffix_is_obeyed():
    assert atoms_from_cif(cif("F d -3 m :2", 227, sites=SI_ORIGIN_2), "si.cif").num_atoms == 8


@pytest.mark.parametrize("sites", [SI_ORIGIN_2, [("Si", 0, 0, 0)]])
def test_a_plain_name_whose_origin_choices_disagree_is_refused(sites):
    with pytest.raises(StructureError, match="two origin choices and the CIF says neither"):
        atoms_from_cif(cif("F d -3 m", 227, sites=sites), "si.cif")


@pytest.mark.parametrize("structure, hm, tag, atoms", [
    (BI2SE3_HEX, "R -3 m", None, 15), (BI2SE3_HEX, "R -3 m :H", None, 15),
    (BI2SE3_RH, "R -3 m", "rhombohedral", 5), (BI2SE3_RH, "R -3 m", None, 5), (BI2SE3_RH, "R -3 m :R", None, 5)])
def test_rhombohedral_groups_follow_their_axes(structure, hm, tag, atoms):
    built = atoms_from_cif(cif(hm, None, setting_tag=tag, **structure), "bi2se3.cif")
    assert built.num_atoms == atoms
    assert sorted(set(built.elements)) == ["Bi", "Se"] and built.elements.count("Se") == 3 * atoms // 5


def test_symmetry_operations_alone_are_enough():
    built = atoms_from_cif(cif(cell=(4, 5, 6, 90, 90, 90), sites=[("Na", 0.1, 0.2, 0.3)],
                               symops=["x, y, z", "-x, -y, -z"]), "ops.cif")
    assert built.num_atoms == 2
    assert np.allclose(sorted(np.asarray(built.frac_coords)[:, 0]), [0.1, 0.9])


def test_full_monoclinic_symbols_are_read_or_named():
    cell = (4, 5, 6, 90, 100, 90)
    assert atoms_from_cif(cif("P 1 21 1", cell=cell, sites=[("Na", 0.1, 0.2, 0.3)]), "p21.cif").num_atoms == 2
    with pytest.raises(StructureError, match="unique axis a or c"):
        atoms_from_cif(cif("P 1 1 21", cell=cell, sites=[("Na", 0.1, 0.2, 0.3)]), "p1121.cif")
