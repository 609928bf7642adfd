"""Structure sources: named datasets, folders, files, CSV, JARVIS and MP JSON."""
from __future__ import annotations

import csv
import gzip
import json
from itertools import islice

import pytest
from shared_data import SHARED, requires_shared

from crysgnn_zoo.data.errors import MissingColumnError, SourceNotFoundError
from crysgnn_zoo.data.sources import dataset_source, list_datasets, open_source
from crysgnn_zoo.data.structures import parse_structure


def _parse_all(source, n=None):
    return [parse_structure(e.fmt, e.payload, e.where) for e in islice(source.entries(), n)]


def test_embedded_sample_is_always_available():
    assert "mp_37k_sample" in list_datasets()
    src = dataset_source("mp_37k_sample")
    assert src.unit("formation_energy_per_atom") == "eV/atom"
    assert sum(1 for _ in src.entries()) == 1000


def test_unknown_dataset_suggests_a_near_name():
    with pytest.raises(SourceNotFoundError, match="did you mean 'mp_37k_sample'"):
        dataset_source("mp_37k_sampel")


def test_datasets_env_var_points_at_a_folder(tmp_path, monkeypatch):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "dataset.json").write_text(json.dumps({
        "name": "mine", "files": ["d.csv"], "format": "csv-cif", "id_column": "id",
        "structure_column": "cif", "targets": {"y": {"unit": "eV"}}}))
    row = next(dataset_source("mp_37k_sample").entries())
    with open(folder / "d.csv", "w", newline="") as fh:
        csv.writer(fh).writerows([["id", "cif", "y"], ["a", row.payload, "1.5"]])
    monkeypatch.setenv("CRYSGNN_ZOO_DATASETS", str(tmp_path))
    src = dataset_source("mine")
    (entry,) = list(src.entries())
    assert entry.targets == {"y": 1.5} and src.unit("y") == "eV"



def test_fingerprint_follows_content_not_mtime_or_location(tmp_path):
    """A copied or re-synced data set keeps its graph cache key; an edited one gets a new key."""
    import os
    import shutil

    embedded = dataset_source("mp_37k_sample")
    folder = embedded.files[0].parent
    first = shutil.copytree(folder, tmp_path / "a" / folder.name)  # same name, another place
    second = shutil.copytree(folder, tmp_path / "b" / folder.name)
    for path in second.iterdir():  # a later copy: every file gets a new mtime
        os.utime(path, ns=(1, 1))
    key_a, key_b = open_source(first).fingerprint(), open_source(second).fingerprint()
    assert key_a == key_b
    data = max((p for p in second.iterdir() if p.name != "dataset.json"), key=lambda p: p.stat().st_size)
    raw = bytearray(data.read_bytes())
    raw[-1] ^= 0xFF  # same size, same mtime, one byte different
    data.write_bytes(bytes(raw))
    os.utime(data, ns=(1, 1))
    assert open_source(second).fingerprint() != key_a

def test_missing_column_is_named(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "dataset.json").write_text(json.dumps({
        "name": "x", "files": ["d.csv"], "format": "csv-cif", "targets": {"band_gap": {"unit": "eV"}}}))
    (tmp_path / "x" / "d.csv").write_text("material_id,cif,other\n")
    with pytest.raises(MissingColumnError, match=r"d.csv: missing column\(s\) \['band_gap'\]"):
        list(open_source(tmp_path / "x").entries())


@requires_shared
def test_jarvis_local_json_matches_poscar_folder():
    from_json = open_source(SHARED / "jarvis_sample" / "dft_3d_sample.json")
    from_folder = dataset_source("jarvis_sample")
    a = {e.id: e for e in from_json.entries()}
    b = {e.id.replace("POSCAR-", ""): e for e in from_folder.entries()}
    assert len(a) == len(b) == 50 and set(a) == set(b)
    for jid in list(a)[:10]:
        x = parse_structure(a[jid].fmt, a[jid].payload, a[jid].where)
        y = parse_structure(b[jid].fmt, b[jid].payload, b[jid].where)
        assert x.num_atoms == y.num_atoms
        assert abs(x.volume - y.volume) < 1e-3
        assert a[jid].targets["optb88vdw_bandgap"] == pytest.approx(b[jid].targets["optb88vdw_bandgap"])


def test_cif_folder_with_id_prop(tmp_path):
    entries = list(islice(dataset_source("mp_37k_sample").entries(), 3))
    for e in entries:
        (tmp_path / f"{e.id}.cif").write_text(e.payload)
    # CGCNN writes ids without extension
    (tmp_path / "id_prop.csv").write_text("".join(f"{e.id},{e.targets['band_gap']}\n" for e in entries))
    src = open_source(tmp_path)
    got = list(src.entries())
    assert [g.id for g in got] == [e.id for e in entries]
    assert [a.num_atoms for a in _parse_all(src)] == [parse_structure(e.fmt, e.payload, "x").num_atoms for e in entries]


def test_single_cif_file(tmp_path):
    e = next(dataset_source("mp_37k_sample").entries())
    (tmp_path / "one.cif").write_text(e.payload)
    (atoms,) = _parse_all(open_source(tmp_path / "one.cif"))
    assert atoms.num_atoms == parse_structure(e.fmt, e.payload, "x").num_atoms


def test_mp_megnet_json(tmp_path):
    entries = list(islice(dataset_source("mp_37k_sample").entries(), 4))
    records = [{"material_id": e.id, "structure": e.payload,
                "formation_energy_per_atom": e.targets["formation_energy_per_atom"],
                "band_gap": e.targets["band_gap"]} for e in entries]
    with gzip.open(tmp_path / "mp.2018.6.1.json.gz", "wt") as fh:
        json.dump(records, fh)
    src = open_source(tmp_path / "mp.2018.6.1.json.gz")
    assert src.kind == "mp" and src.unit("formation_energy_per_atom") == "eV/atom"
    got = list(src.entries())
    assert [g.id for g in got] == [e.id for e in entries]
    assert len(_parse_all(src)) == 4


def test_missing_path_is_named(tmp_path):
    with pytest.raises(SourceNotFoundError, match="no such file"):
        open_source(tmp_path / "nope.cif")
