"""Parallel cached building, skip-and-report, resume, and collation."""
from __future__ import annotations

import csv
import gzip
import json

import numpy as np
import pytest

from crysgnn_zoo.config import GraphConfig
from crysgnn_zoo.data.sources import csv_source, dataset_source
from crysgnn_zoo.graphs.build import build_store
from crysgnn_zoo.graphs.collate import collate
from crysgnn_zoo.graphs.store import GraphStore


def _with_unknown_element(cif: str) -> str:
    symbol = cif.split("_atom_site_occupancy\n")[1].split()[0]
    return cif.replace(f"  {symbol}  ", "  Xx  ", 1)


def _write_csv(path, rows):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["material_id", "cif", "y"])
        w.writerows(rows)


@pytest.fixture(scope="module")
def sample_rows():
    csv.field_size_limit(1 << 30)
    path = dataset_source("mp_37k_sample").files[0]
    with gzip.open(path, "rt", newline="") as fh:
        return [r for _, r in zip(range(30), csv.DictReader(fh))]


def test_bad_rows_are_skipped_and_reported(tmp_path, sample_rows):
    good = [(r["material_id"], r["cif"], r["formation_energy_per_atom"]) for r in sample_rows[:10]]
    bad = [
        ("bad-garbage", "this is not a cif", "0.1"),
        ("bad-element", _with_unknown_element(good[0][1]), "0.1"),
    ]
    _write_csv(tmp_path / "mixed.csv", good[:5] + bad + good[5:])
    result = build_store(csv_source(tmp_path / "mixed.csv"), workers=2, cache_root=tmp_path / "c", progress=False)
    assert len(result.store) == 10
    reasons = {s.where.split("(id ")[1].rstrip(")"): s.reason for s in result.skipped}
    assert set(reasons) == {"bad-garbage", "bad-element"}
    assert "malformed CIF" in reasons["bad-garbage"]
    assert "unknown element 'Xx'" in reasons["bad-element"]
    assert list(result.store.ids) == [g[0] for g in good]


def test_cache_is_reused_and_keyed_by_settings(tmp_path, sample_rows):
    _write_csv(tmp_path / "s.csv", [(r["material_id"], r["cif"], "1") for r in sample_rows[:12]])
    src = csv_source(tmp_path / "s.csv")
    first = build_store(src, workers=1, cache_root=tmp_path / "c", progress=False)
    again = build_store(src, workers=1, cache_root=tmp_path / "c", progress=False)
    other = build_store(src, GraphConfig(cutoff=6.0), workers=1, cache_root=tmp_path / "c", progress=False)
    assert not first.from_cache and again.from_cache and not other.from_cache
    assert np.array_equal(first.store.distances, again.store.distances)
    assert other.store.distances.max() <= 6.0 + 1e-5


def test_interrupted_build_resumes_from_finished_shards(tmp_path, sample_rows):
    _write_csv(tmp_path / "s.csv", [(r["material_id"], r["cif"], "1") for r in sample_rows])
    src = csv_source(tmp_path / "s.csv")
    full = build_store(src, workers=1, cache_root=tmp_path / "c", shard_size=8, progress=False)
    folder = full.cache_path
    (folder / "manifest.json").unlink()  # as if killed before the end
    (folder / "shard-00002.npz").unlink()
    mtime = (folder / "shard-00000.npz").stat().st_mtime_ns
    resumed = build_store(src, workers=1, cache_root=tmp_path / "c", shard_size=8, progress=False)
    assert (folder / "shard-00000.npz").stat().st_mtime_ns == mtime  # not rebuilt
    assert list(resumed.store.ids) == list(full.store.ids)
    assert np.array_equal(resumed.store.src, full.store.src)
    assert json.loads((folder / "manifest.json").read_text())["count"] == 30


def test_store_roundtrip_and_subset(tmp_path, sample_store):
    sub = sample_store.subset([5, 2, 9])
    sub.save(tmp_path / "x.npz")
    back = GraphStore.load(tmp_path / "x.npz")
    assert list(back.ids) == [sample_store.ids[i] for i in (5, 2, 9)]
    assert np.array_equal(back.distances, sub.distances)
    assert back.targets.keys() == sample_store.targets.keys()


def test_collate_batches_graphs(sample_store):
    idx = [0, 3, 7, 11]
    g = collate(sample_store, idx, with_vectors=True)
    assert g.batch_size == 4
    assert g.batch_num_nodes().tolist() == sample_store.n_atoms[idx].tolist()
    assert g.num_edges() == int(sample_store.n_edges[idx].sum())
    vec_len = np.linalg.norm(g.edata["vector"].numpy(), axis=1)
    assert np.allclose(vec_len, g.edata["distance"].numpy(), atol=1e-4)
    # every centre's in-degree is at most 12
    assert int(g.in_degrees().max()) <= 12


def test_whole_sample_builds_without_skips(sample_store):
    assert len(sample_store) == 1000
    assert sample_store.distances.max() <= 8.0 + 1e-5


def test_a_swapped_or_damaged_cache_shard_is_rebuilt_never_loaded(tmp_path):
    import json

    from crysgnn_zoo.config import GraphConfig
    from crysgnn_zoo.data.sources import dataset_source, folder_source
    from crysgnn_zoo.graphs.build import build_store, cache_folder

    entries = [e for _, e in zip(range(25), dataset_source("mp_37k_sample").entries())]
    sets = {}
    for name, part in (("a", entries[:24]), ("b", entries[:25])):
        folder = tmp_path / name
        folder.mkdir()
        for e in part:
            (folder / f"{e.id}.cif").write_text(e.payload)
        (folder / "id_prop.csv").write_text("".join(f"{e.id},1.0\n" for e in part))
        sets[name] = folder_source(folder)
        build_store(sets[name], workers=1, cache_root=tmp_path / "cache", progress=False)
    shard_a = next(cache_folder(sets["a"], GraphConfig(), tmp_path / "cache").glob("shard*.npz"))
    shard_b = next(cache_folder(sets["b"], GraphConfig(), tmp_path / "cache").glob("shard*.npz"))
    shard_a.write_bytes(shard_b.read_bytes())  # a valid shard of another source copied in
    again = build_store(sets["a"], workers=1, cache_root=tmp_path / "cache", progress=False)
    assert len(again.store) == 24 and not again.from_cache
    shard_a = next(again.cache_path.glob("shard*.npz"))
    shard_a.write_bytes(shard_a.read_bytes()[:100])  # truncated
    third = build_store(sets["a"], workers=1, cache_root=tmp_path / "cache", progress=False)
    assert len(third.store) == 24 and not third.from_cache
    assert json.loads((third.cache_path / "manifest.json").read_text())["ids_sha256"]
