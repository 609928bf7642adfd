"""Choosing the backend, the torch batch container, and what the package imports when."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from crysgnn_zoo.backend import BACKEND_ENV, check_device, for_device, graph_backend
from crysgnn_zoo.backend.batch import GraphBatch
from crysgnn_zoo.errors import ConfigError
from crysgnn_zoo.graphs.collate import collate


def test_auto_is_dgl_on_the_cpu_and_torch_on_a_gpu(monkeypatch):
    monkeypatch.delenv(BACKEND_ENV, raising=False)
    assert for_device("cpu") == "dgl" and for_device("cuda:1") == "torch"
    assert for_device(torch.device("cpu"), "torch") == "torch"


def test_the_environment_variable_chooses_when_the_config_says_auto(monkeypatch):
    monkeypatch.setenv(BACKEND_ENV, "torch")
    assert for_device("cpu") == "torch" and for_device("cpu", "auto") == "torch"
    assert for_device("cpu", "dgl") == "dgl"  # an explicit setting wins


def test_bad_settings_are_named_errors(monkeypatch):
    monkeypatch.setenv(BACKEND_ENV, "pyg")
    with pytest.raises(ConfigError, match=f"{BACKEND_ENV}=pyg: unknown backend"):
        for_device("cpu")
    with pytest.raises(ConfigError, match="DGL from PyPI has CPU kernels only"):
        for_device("cuda", "dgl")


def test_a_cuda_device_without_cuda_is_one_line_naming_it():
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(ConfigError, match="--device cuda: this torch .* has no CUDA device"):
        check_device("cuda")
    with pytest.raises(ConfigError, match="not a device name"):
        check_device("gpu0")
    check_device("cpu")


def test_the_api_refuses_a_missing_gpu_before_any_work(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    from crysgnn_zoo.train.run import train_model

    with pytest.raises(ConfigError, match="no CUDA device"):
        train_model("mp_37k_sample", "band_gap", "cgcnn", device="cuda", out_dir=tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_graph_batch_moves_scopes_and_reports_its_backend(sample_store):
    g = collate(sample_store, np.arange(3), backend="torch")
    assert isinstance(g, GraphBatch) and graph_backend(g) == "torch"
    assert g.to("cpu") is g and g.device.type == "cpu"
    assert g.node_graph().tolist() == np.repeat(np.arange(3), sample_store.n_atoms[:3]).tolist()
    with g.local_scope():
        g.ndata["h"] = torch.zeros(g.num_nodes())
    assert "h" not in g.ndata and "atomic_number" in g.ndata
    assert "GraphBatch(num_graphs=3" in repr(g)


def test_a_trainer_builds_its_loaders_on_the_configured_backend(sample_store):
    from crysgnn_zoo.config import TrainConfig
    from crysgnn_zoo.factory import get_model
    from crysgnn_zoo.graphs.loader import GraphLoader
    from crysgnn_zoo.train.trainer import Trainer

    loader = GraphLoader(sample_store, np.arange(8), np.zeros(len(sample_store)), 4)
    trainer = Trainer(get_model("cgcnn", n_conv=1, atom_dim=8), TrainConfig(backend="torch"), progress=False)
    trainer.predict(loader)
    assert loader.backend == "torch" and isinstance(next(iter(loader))[0], GraphBatch)


def _modules_after(code: str, env: dict | None = None) -> set[str]:
    import os

    out = subprocess.run([sys.executable, "-c", code + "; import sys; print(' '.join(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True, env={**os.environ, **(env or {})})
    return set(out.stdout.split())


def test_the_cli_and_the_package_import_neither_torch_nor_dgl():
    loaded = _modules_after("import crysgnn_zoo, crysgnn_zoo.cli; crysgnn_zoo.cli.build_parser()")
    assert "torch" not in loaded and "dgl" not in loaded


def test_help_and_models_import_no_torch():
    code = ("import contextlib, io, crysgnn_zoo.cli as c\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    c.main(['models'])\n"
            "    try:\n        c.main(['--help'])\n    except SystemExit:\n        pass")
    assert "torch" not in _modules_after(code)


def test_the_torch_backend_never_imports_dgl():
    code = ("import numpy as np, torch; from crysgnn_zoo.factory import get_model; "
            "from crysgnn_zoo.data.sources import open_source; from crysgnn_zoo.graphs.build import build_store; "
            "from crysgnn_zoo.graphs.collate import collate; from crysgnn_zoo.config import GraphConfig; "
            "s = build_store(open_source('mp_37k_sample'), GraphConfig(), progress=False, workers=1).store; "
            "[get_model(m, **({'hidden_dim': 8, 'alignn_layers': 1, 'gcn_layers': 1} if m == 'alignn' else {}))"
            "(collate(s, np.arange(2), with_vectors=m == 'alignn')) for m in ('cgcnn', 'gatgnn', 'alignn')]")
    assert "dgl" not in _modules_after(code, {BACKEND_ENV: "torch"})
