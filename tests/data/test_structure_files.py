"""Structure files: gzipped ones are read (in folders and alone); one file under two names is refused."""
from __future__ import annotations

import gzip
from itertools import islice

import numpy as np
import pytest

from crysgnn_zoo.data.errors import StructureError
from crysgnn_zoo.data.sources import dataset_source, open_source
from crysgnn_zoo.data.structures import parse_structure
from crysgnn_zoo.data import text


def _cifs(n=3):
    return [(e.id, e.payload) for e in islice(dataset_source("mp_37k_sample").entries(), n)]


def test_a_folder_reads_gzipped_and_plain_cifs_alike(tmp_path):
    (a, cif_a), (b, cif_b), _ = _cifs()
    (tmp_path / f"{a}.cif").write_text(cif_a)
    (tmp_path / f"{b}.cif.gz").write_bytes(gzip.compress(cif_b.encode()))
    entries = list(open_source(tmp_path).entries())
    assert sorted(e.id for e in entries) == sorted([a, b])
    parsed = {e.id: parse_structure(e.fmt, e.payload, e.where) for e in entries}
    plain = parse_structure("cif", cif_b, b)
    assert np.allclose(parsed[b].lattice_mat, plain.lattice_mat) and parsed[b].num_atoms == plain.num_atoms


def test_a_single_gzipped_file_keeps_its_id(tmp_path):
    (a, cif_a), *_ = _cifs(1)
    path = tmp_path / f"{a}.cif.gz"
    path.write_bytes(gzip.compress(cif_a.encode()))
    (entry,) = open_source(path).entries()
    assert entry.id == a and parse_structure(entry.fmt, entry.payload, entry.where).num_atoms > 0


def test_a_broken_or_oversized_gzip_is_a_named_error(tmp_path, monkeypatch):
    bad = tmp_path / "x.cif.gz"
    bad.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(StructureError, match="not a readable gzip file"):
        text.read_text(bad)
    (a, cif_a), *_ = _cifs(1)
    bomb = tmp_path / "big.cif.gz"
    bomb.write_bytes(gzip.compress(cif_a.encode()))
    assert len(cif_a) > 1.5 * bomb.stat().st_size
    monkeypatch.setattr(text, "MAX_STRUCTURE_BYTES", bomb.stat().st_size + 10)  # the file fits, its content not
    with pytest.raises(StructureError, match="unpacks to more than"):
        text.read_text(bomb)


def test_one_file_under_two_names_is_refused_in_a_folder_and_an_index(tmp_path):
    from crysgnn_zoo.data.errors import DuplicateIdError

    (a, cif_a), *_ = _cifs(1)
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "a.cif").write_text(cif_a)
    (folder / "b.cif").symlink_to(folder / "a.cif")
    with pytest.raises(DuplicateIdError, match="a.cif and b.cif are the same file"):
        open_source(folder)
    indexed = tmp_path / "indexed"
    indexed.mkdir()
    (indexed / "a.cif").write_text(cif_a)
    (indexed / "b.cif").symlink_to(indexed / "a.cif")
    (indexed / "id_prop.csv").write_text("a.cif,1.0\nb.cif,2.0\n")
    with pytest.raises(DuplicateIdError, match="name the same file"):
        list(open_source(indexed).entries())


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
def test_a_csv_saved_as_utf16_or_with_a_bom_is_read(tmp_path, encoding):
    (a, cif_a), *_ = _cifs(1)
    path = tmp_path / "table.csv"
    rows = f'material_id,cif,y\n{a},"{cif_a}",1.5\n'
    path.write_bytes(rows.encode(encoding))
    (entry,) = open_source(path).entries()
    assert entry.id == a and entry.targets == {"y": 1.5}


def test_utf16_without_a_byte_order_mark_is_named(tmp_path):
    path = tmp_path / "table.csv"
    path.write_bytes("material_id,cif,y\n".encode("utf-16-le"))
    with pytest.raises(StructureError, match="UTF-16 or UTF-32 text without a byte-order mark"):
        list(open_source(path).entries())
