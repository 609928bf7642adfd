"""Names that become paths never lead outside their place."""
from __future__ import annotations

import pytest

from crysgnn_zoo.errors import UnsafePathError
from crysgnn_zoo.paths import check_name

BAD = ["..", ".", "../../x", "/etc/passwd", "a/b", "a\\b", ".hidden", "-rf", ""]


@pytest.mark.parametrize("name", BAD)
def test_a_name_that_is_a_path_is_refused(name):
    with pytest.raises(UnsafePathError, match="not a valid release name"):
        check_name(name, "release name")


@pytest.mark.parametrize("name", ["chgnet-0.3.0", "cgcnn-mp37k-band-gap", "mp_37k", "crysgnn-v1"])
def test_plain_names_pass(name):
    assert check_name(name, "release name") == name


def test_a_release_name_with_dots_never_reaches_the_cache_or_a_mirror(tmp_path, monkeypatch):
    from crysgnn_zoo.hub.resolve import resolve_weights

    monkeypatch.setenv("CRYSGNN_ZOO_WEIGHTS_URL", f"file://{tmp_path}/mirror")
    with pytest.raises(UnsafePathError):
        resolve_weights("../../x")
    assert not any(tmp_path.parent.glob("x*"))


def test_a_data_set_name_is_a_name():
    from crysgnn_zoo.data.sources import dataset_source

    with pytest.raises(UnsafePathError, match="data set name"):
        dataset_source("..")


def test_a_missing_public_data_set_says_where_to_get_it(monkeypatch, capsys):
    from crysgnn_zoo.cli import main
    from crysgnn_zoo.data import sources
    from crysgnn_zoo.errors import SourceNotFoundError

    monkeypatch.setattr(sources, "list_datasets", lambda include_embedded=True: {})
    with pytest.raises(SourceNotFoundError, match="CrysXPP repository.*CRYSGNN_ZOO_DATASETS"):
        sources.dataset_source("mp_37k")
    with pytest.raises(SourceNotFoundError, match="CRYSGNN_ZOO_DATASETS") as info:
        sources.dataset_source("my_own_set")
    assert "get it from" not in str(info.value)
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "not found here" in out and "perov_5 is cubic perovskites" in out and "pymatgen ships" in out


def test_a_data_set_card_cannot_name_files_outside_its_folder(tmp_path):
    import json

    from crysgnn_zoo.data.sources import dataset_folder_source

    secret = tmp_path / "secret.csv"
    secret.write_text("material_id,cif\nx,PRIVATE-CONTENT\n")
    for files in (["../secret.csv"], [str(secret)]):
        folder = tmp_path / f"set{len(files[0])}"
        folder.mkdir()
        (folder / "dataset.json").write_text(json.dumps({"name": "s", "files": files, "format": "csv-cif",
                                                         "targets": {}}))
        with pytest.raises(UnsafePathError, match="outside the source folder") as info:
            dataset_folder_source(folder)
        assert "PRIVATE-CONTENT" not in str(info.value)
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "data.csv").symlink_to(secret)
    (linked / "dataset.json").write_text(json.dumps({"name": "l", "files": ["data.csv"], "format": "csv-cif"}))
    with pytest.raises(UnsafePathError):
        dataset_folder_source(linked)


def test_a_plain_folder_with_a_link_out_is_refused_before_reading(tmp_path):
    from crysgnn_zoo.data.sources import dataset_source, structure_folder_source

    entry = next(iter(dataset_source("mp_37k_sample").entries()))
    outside = tmp_path / "elsewhere.cif"
    outside.write_text(entry.payload)
    folder = tmp_path / "cifs"
    folder.mkdir()
    (folder / "own.cif").write_text(entry.payload)
    (folder / "sub").mkdir()
    (folder / "sub" / "kept.cif").write_text(entry.payload)
    (folder / "inner.cif").symlink_to(folder / "sub" / "kept.cif")  # a link to a file inside stays fine
    assert len(list(structure_folder_source(folder).entries())) == 2
    (folder / "link.cif").symlink_to(outside)
    with pytest.raises(UnsafePathError, match="outside the folder"):
        structure_folder_source(folder)
