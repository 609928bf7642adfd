"""Curation: validation, de-duplication, sharding, resume, manifest."""
from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from crysgnn_zoo.data.sources import dataset_source
from crysgnn_zoo.pretrain.curate import CurateConfig, crystal_system_of, curate, finalize, load_curated


def test_duplicates_removed_and_manifest_written(curated_dir, curated_store):
    m = json.loads((curated_dir / "manifest.json").read_text())
    assert m["entries"] == 2000 and m["valid"] == 2000 and m["skipped"] == 0
    # the second pass over the same file is entirely duplicate
    assert m["duplicates"] >= 1000 and m["kept"] == 2000 - m["duplicates"]
    assert len(curated_store) == m["kept"]
    assert len(set(curated_store.ids.tolist())) == len(curated_store)
    assert sum(m["atoms_per_crystal"]["histogram"].values()) == m["kept"]
    assert m["element_histogram"]["O"] > 100
    assert set(curated_store.targets) == {"spacegroup", "crystal_system", "volume_per_atom"}
    sg = curated_store.targets["spacegroup"]
    assert sg.min() >= 1 and sg.max() <= 230


def test_shards_built_independently_equal_one_job(tmp_path, curated_store):
    specs = ["mp_37k_sample", "mp_37k_sample"]
    cfg = CurateConfig(block_size=500)
    first = curate(specs, tmp_path, config=cfg, shard=(0, 2), progress=False)
    assert first.manifest is None and first.blocks_total == 4 and first.blocks_done == 2
    with pytest.raises(FileNotFoundError, match="not built yet"):
        finalize(tmp_path)
    second = curate(specs, tmp_path, config=cfg, shard=(1, 2), progress=False)
    assert second.manifest is not None
    assert load_curated(tmp_path).ids.tolist() == curated_store.ids.tolist()


def test_resume_skips_finished_blocks(tmp_path):
    specs = ["mp_37k_sample"]
    cfg = CurateConfig(block_size=400)
    curate(specs, tmp_path, config=cfg, progress=False)
    stamp = (tmp_path / "block-00000.npz").stat().st_mtime_ns
    (tmp_path / "block-00002.npz").unlink()
    again = curate(specs, tmp_path, config=cfg, progress=False)
    assert again.processed == 200  # only the missing last block (1000 = 400 + 400 + 200)
    assert (tmp_path / "block-00000.npz").stat().st_mtime_ns == stamp


def test_other_settings_in_same_folder_refused(tmp_path):
    curate(["mp_37k_sample"], tmp_path, config=CurateConfig(block_size=1000), progress=False, finalize_when_done=False, shard=(0, 5))
    with pytest.raises(ValueError, match="other settings"):
        curate(["mp_37k_sample"], tmp_path, config=CurateConfig(block_size=500), progress=False)


def test_bad_structures_are_skipped_with_reasons(tmp_path):
    entries = [e for _, e in zip(range(5), dataset_source("mp_37k_sample").entries())]
    path = tmp_path / "mix.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["material_id", "cif"])
        w.writerow(["junk", "not a cif at all"])
        w.writerows([e.id, e.payload] for e in entries)
    result = curate([str(path)], tmp_path / "out", progress=False)
    m = result.manifest
    assert m["skipped"] == 1 and m["kept"] == 5
    assert "junk" in m["skipped_examples"][0]["where"] and "malformed CIF" in m["skipped_examples"][0]["reason"]


def test_crystal_system_boundaries():
    assert [crystal_system_of(s) for s in (1, 2, 3, 15, 16, 74, 75, 142, 143, 167, 168, 194, 195, 230)] == [
        0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]


def test_duplicate_rule_needs_density_and_neighbour_histogram():
    from crysgnn_zoo.pretrain.curate import distance_histograms, is_duplicate

    cfg = CurateConfig()
    # two crystals of 2 atoms x 2 edges: same distances, and one with other distances
    hists = distance_histograms(np.array([2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 3.1, 3.1]), np.array([4, 4]), 0.1, 8.0)
    same, other = hists[0], hists[1]
    kept = [(10.0, same)]
    assert is_duplicate(10.1, same, kept, cfg)  # 1% denser, identical histogram
    assert not is_duplicate(10.1, other, kept, cfg)  # same density, other structure
    assert not is_duplicate(11.0, same, kept, cfg)  # 10% apart in volume per atom
