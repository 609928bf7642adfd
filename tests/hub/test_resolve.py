"""Weights resolution: a loopback HTTP server stands in for the release host."""
from __future__ import annotations

import functools
import hashlib
import http.server
import json
import socket
import tarfile
import threading

import pytest
import torch

from crysgnn_zoo.config import GraphConfig
from crysgnn_zoo.distill.teachers import load_teacher
from crysgnn_zoo.hub.checkpoint import save_checkpoint
from crysgnn_zoo.hub.resolve import (
    Release,
    WeightsNotFoundError,
    WeightsVerificationError,
    forget_release,
    register_release,
    resolve_weights,
)
from crysgnn_zoo.nets.crysgnn import CrysGNN, CrysGNNConfig

NAME = "tiny-teacher"


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def release_dir(tmp_path):
    """A tiny teacher checkpoint packed as <NAME>.tar.gz, as a release would be."""
    torch.manual_seed(0)
    model = CrysGNN(CrysGNNConfig(atom_dim=8, n_conv=2, hidden_dim=8))
    model.registry_name = "crysgnn"
    folder = save_checkpoint(tmp_path / "build" / NAME, model, graph_config=GraphConfig(), target=None)
    card = json.loads((folder / "card.json").read_text())
    card["sha256"] = _sha(folder / "weights.pt")
    (folder / "card.json").write_text(json.dumps(card))
    served = tmp_path / "served"
    served.mkdir()
    with tarfile.open(served / f"{NAME}.tar.gz", "w:gz") as tar:
        tar.add(folder, arcname=NAME)
    return served, folder


@pytest.fixture
def server(release_dir):
    served, _ = release_dir
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a, **k: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CRYSGNN_ZOO_CACHE", str(tmp_path / "cache"))
    yield tmp_path / "cache"
    forget_release(NAME)


def _register(url_base, served, folder, **changes):
    row = dict(name=NAME, url=f"{url_base}/{NAME}.tar.gz", archive_sha256=_sha(served / f"{NAME}.tar.gz"),
               weights_sha256=_sha(folder / "weights.pt"))
    row.update(changes)
    register_release(Release(**row))


def test_download_verify_cache_and_load(server, release_dir, cache):
    served, folder = release_dir
    _register(server, served, folder)
    got = resolve_weights(NAME)
    assert got == cache / "weights" / NAME
    assert _sha(got / "weights.pt") == _sha(folder / "weights.pt")
    teacher = load_teacher(NAME)
    assert not any(p.requires_grad for p in teacher.parameters()) and not teacher.training
    (served / f"{NAME}.tar.gz").unlink()  # the host is gone: the cache answers
    assert resolve_weights(NAME) == got


def test_corrupted_download_is_refused(server, release_dir, cache):
    served, folder = release_dir
    _register(server, served, folder, archive_sha256="0" * 64)
    with pytest.raises(WeightsVerificationError, match="SHA-256 mismatch"):
        resolve_weights(NAME)
    assert not (cache / "weights" / NAME).exists()


def test_corrupted_cached_weights_are_refused(server, release_dir, cache):
    served, folder = release_dir
    _register(server, served, folder)
    got = resolve_weights(NAME)
    (got / "weights.pt").write_bytes(b"garbage")
    with pytest.raises(WeightsVerificationError, match="does not match the release table"):
        resolve_weights(NAME)


def test_offline_with_nothing_says_what_to_do(release_dir, cache):
    served, folder = release_dir
    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _register(f"http://127.0.0.1:{port}", served, folder)
    with pytest.raises(WeightsNotFoundError, match=r"pip install -e \./models.*CRYSGNN_ZOO_CACHE") as info:
        resolve_weights(NAME)
    assert "crysgnn-zoo-weights`" not in str(info.value)  # no package of that name on PyPI


def test_explicit_path_wins(release_dir, cache):
    _, folder = release_dir
    assert resolve_weights(folder) == folder
