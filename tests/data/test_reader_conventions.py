"""Structure readers, second round: what ASE would read silently wrong or fail on with an internal
message is read by the CIF convention or refused with a message that says what is missing."""
from __future__ import annotations

import csv

import pytest

from crysgnn_zoo.data.errors import DuplicateIdError, MissingColumnError, StructureError
from crysgnn_zoo.data.sources import dataset_source, open_source
from crysgnn_zoo.data.structures import atoms_from_cif, atoms_from_poscar

HEAD = """data_test
_symmetry_space_group_name_H-M 'P 1'
_cell_length_a 4.0
_cell_length_b 4.0
_cell_length_c 4.0
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
"""


def _loop(rows, symbol: bool = True) -> str:
    tags = ["_atom_site_label", *(["_atom_site_type_symbol"] if symbol else []),
            "_atom_site_fract_x", "_atom_site_fract_y", "_atom_site_fract_z"]
    return "loop_\n" + "".join(f"{t}\n" for t in tags) + "".join(" ".join(r) + "\n" for r in rows)


def test_a_second_atom_site_loop_is_not_dropped():
    text = HEAD + _loop([("Na1", "Na", "0", "0", "0")]) + _loop([("Cl1", "Cl", "0.5", "0.5", "0.5")])
    with pytest.raises(StructureError, match="2 separate _atom_site loops"):
        atoms_from_cif(text, "two.cif")


@pytest.mark.parametrize("labels, elements", [(("NA1", "CL1"), ["Na", "Cl"]), (("Na1", "Cl1"), ["Na", "Cl"]),
                                              (("C1", "O2"), ["C", "O"]), (("CA1", "O1"), ["Ca", "O"])])
def test_elements_from_labels_follow_the_cif_convention(labels, elements):
    text = HEAD + _loop([(labels[0], "0", "0", "0"), (labels[1], "0.5", "0.5", "0.5")], symbol=False)
    assert atoms_from_cif(text, "labels.cif").elements == elements


def test_a_label_that_names_no_element_is_refused():
    text = HEAD + _loop([("Q1", "0", "0", "0"), ("Cl1", "0.5", "0.5", "0.5")], symbol=False)
    with pytest.raises(StructureError, match=r"labels \['Q1'\] start with no element"):
        atoms_from_cif(text, "q.cif")


@pytest.mark.parametrize("symbols", [("fe", "o"), ("FE", "O"), ("fe2+", "o2-")])
def test_type_symbols_in_another_case_are_read(symbols):
    text = HEAD + _loop([("Fe1", symbols[0], "0", "0", "0"), ("O1", symbols[1], "0.5", "0.5", "0.5")])
    assert atoms_from_cif(text, "case.cif").elements == ["Fe", "O"]


def test_an_unknown_coordinate_names_the_site_and_tag():
    text = HEAD + _loop([("Na1", "Na", "?", "0", "0"), ("Cl1", "Cl", "0.5", "0.5", "0.5")])
    with pytest.raises(StructureError, match=r"site Na1: _atom_site_fract_x is '\?', not a number"):
        atoms_from_cif(text, "unknown.cif")


LATTICE = "NaCl\n1.0\n4 0 0\n0 4 0\n0 0 4\n"


@pytest.mark.parametrize("text, message", [
    (LATTICE + "1 1\nDirect\n0 0 0\n0.5 0.5 0.5\n", "without element symbols \\(VASP 4"),
    (LATTICE + "Na Cl\n1 1\nDirect\n0 0 0\n", "declares 2 atoms but 1 coordinate lines"),
    ("NaCl\n1.0\n4 0 0\n", "line 4 must hold a lattice vector"),
    (LATTICE + "Na Cl\n1\nDirect\n0 0 0\n", "one atom count for each of the 2 element symbols"),
])
def test_an_incomplete_poscar_says_what_is_missing(text, message):
    with pytest.raises(StructureError, match=message) as info:
        atoms_from_poscar(text, "POSCAR")
    assert "shape" not in str(info.value) and "broadcast" not in str(info.value)


def test_two_files_with_one_stem_keep_two_ids(tmp_path):
    payload = next(dataset_source("mp_37k_sample").entries()).payload
    (tmp_path / "a.cif").write_text(payload)
    (tmp_path / "a.vasp").write_text(LATTICE + "Na Cl\n1 1\nDirect\n0 0 0\n0.5 0.5 0.5\n")
    (tmp_path / "b.cif").write_text(payload)
    assert [e.id for e in open_source(tmp_path).entries()] == ["a.cif", "a.vasp", "b"]


def _csv(path, rows):
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


def test_duplicate_ids_in_a_csv_are_refused_before_any_structure_is_read(tmp_path):
    payload = next(dataset_source("mp_37k_sample").entries()).payload
    path = _csv(tmp_path / "d.csv", [["id", "cif", "y"], ["x", payload, "1"], ["z", payload, "2"], ["x", payload, "3"]])
    with pytest.raises(DuplicateIdError, match="rows 2 and 4 both have id 'x'"):
        open_source(path)


def test_one_csv_format_names_the_accepted_columns(tmp_path):
    payload = next(dataset_source("mp_37k_sample").entries()).payload
    for header in (["id", "cif", "y"], ["jid", "structure", "y"], ["material_id", "cif", "y"]):
        source = open_source(_csv(tmp_path / "ok.csv", [header, ["m-1", payload, "1.5"]]))
        assert source.targets == {"y": ""} and next(source.entries()).id == "m-1"
    with pytest.raises(MissingColumnError, match="no id column: name one of material_id, id, jid, name"):
        open_source(_csv(tmp_path / "bad.csv", [["key", "cif", "y"], ["m-1", payload, "1"]]))


def test_duplicate_names_in_id_prop_are_refused(tmp_path):
    (tmp_path / "a.vasp").write_text(LATTICE + "Na Cl\n1 1\nDirect\n0 0 0\n0.5 0.5 0.5\n")
    (tmp_path / "id_prop.csv").write_text("a.vasp,1\na,2\n")
    with pytest.raises(DuplicateIdError, match="rows 1 and 2 both name crystal 'a'"):
        open_source(tmp_path)
