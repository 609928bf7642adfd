"""Folder sources (``id_prop.csv``): the graph-cache key follows every structure file read, and files
outside the folder, not regular or too large are refused before they are read."""
from __future__ import annotations

import os

import pytest

from crysgnn_zoo.data import text
from crysgnn_zoo.data.errors import DuplicateIdError, StructureError, UnsafePathError
from crysgnn_zoo.data.sources import open_source
from crysgnn_zoo.data.structures import parse_structure

POSCAR = """NaCl
1.0
4.0 0.0 0.0
0.0 4.0 0.0
0.0 0.0 4.0
Na Cl
1 1
Direct
0.0 0.0 0.0
0.5 0.5 0.5
"""


def _folder(root, rows: list[str], files: dict[str, str] | None = None):
    root.mkdir(parents=True, exist_ok=True)
    for name, content in (files if files is not None else {"a.vasp": POSCAR, "b.vasp": POSCAR}).items():
        (root / name).write_text(content)
    (root / "id_prop.csv").write_text("".join(f"{r}\n" for r in rows))
    return root


def test_editing_or_deleting_a_structure_file_changes_the_cache_key(tmp_path):
    folder = _folder(tmp_path / "set", ["a.vasp,1.0", "b.vasp,2.0"])
    before = open_source(folder).fingerprint()
    (folder / "b.vasp").write_text(POSCAR.replace("0.5 0.5 0.5", "0.5 0.5 0.4"))
    edited = open_source(folder).fingerprint()
    (folder / "b.vasp").unlink()
    deleted = open_source(folder).fingerprint()
    assert len({before, edited, deleted}) == 3


def test_another_folder_with_the_same_name_and_index_gets_its_own_key(tmp_path):
    one = _folder(tmp_path / "x" / "set", ["a.vasp,1.0"])
    two = _folder(tmp_path / "y" / "set", ["a.vasp,1.0"])
    assert open_source(one).fingerprint() != open_source(two).fingerprint()


@pytest.mark.parametrize("name", ["../outside.vasp", "ABSOLUTE", "link.vasp"])
def test_index_rows_outside_the_folder_are_refused_before_any_is_read(tmp_path, name):
    (tmp_path / "outside.vasp").write_text(POSCAR)
    folder = _folder(tmp_path / "set", ["a.vasp,1.0"])
    (folder / "link.vasp").symlink_to(tmp_path / "outside.vasp")
    name = str(tmp_path / "outside.vasp") if name == "ABSOLUTE" else name
    (folder / "id_prop.csv").write_text(f"a.vasp,1.0\n{name},2.0\n")
    with pytest.raises(UnsafePathError, match=r"row 2 .*outside the source folder"):
        open_source(folder)


def test_a_link_inside_the_folder_is_read_once(tmp_path):
    folder = _folder(tmp_path / "set", ["a.vasp,1.0", "alias.vasp,2.0"])
    (folder / "alias.vasp").symlink_to(folder / "b.vasp")  # b.vasp itself is not listed: one file, one id
    assert [e.id for e in open_source(folder).entries()] == ["a", "alias"]
    (folder / "id_prop.csv").write_text("a.vasp,1.0\nalias.vasp,2.0\nb.vasp,3.0\n")
    with pytest.raises(DuplicateIdError, match="name the same file"):  # one crystal counted twice: refused
        list(open_source(folder).entries())


def test_a_fifo_is_named_not_read(tmp_path):
    folder = _folder(tmp_path / "set", ["a.vasp,1.0", "pipe.vasp,2.0"])
    os.mkfifo(folder / "pipe.vasp")
    entry = list(open_source(folder).entries())[1]
    with pytest.raises(StructureError, match="not a regular file"):  # would block forever if opened
        parse_structure(entry.fmt, entry.payload, entry.where)


def test_a_file_above_the_size_limit_is_refused_unread(tmp_path, monkeypatch):
    folder = _folder(tmp_path / "set", ["a.vasp,1.0"])
    monkeypatch.setattr(text, "MAX_STRUCTURE_BYTES", 64)
    entry = next(open_source(folder).entries())
    with pytest.raises(StructureError, match="above the 64-byte limit"):
        parse_structure(entry.fmt, entry.payload, entry.where)
