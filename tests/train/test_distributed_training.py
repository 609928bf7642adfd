"""Student training under torchrun: 2 CPU processes (gloo) stay identical, and rank 0 writes."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import torch

from crysgnn_zoo.graphs.loader import GraphLoader

SCRIPT = r"""
import sys
from pathlib import Path
import numpy as np, torch
import crysgnn_zoo as cz
from crysgnn_zoo.train.distributed import world

out = Path(sys.argv[1])
built = cz.build_store(cz.open_source("mp_37k_sample"), progress=False, workers=1)
store = built.store
y = store.target("formation_energy_per_atom")
index = np.arange(len(store))[:72]
torch.manual_seed(0)
model = cz.get_model("cgcnn", n_conv=1, atom_dim=8)
trainer = cz.Trainer(model, cz.TrainConfig(epochs=2, batch_size=8, patience=None), out_dir=out / "run", progress=False)
from crysgnn_zoo.graphs.loader import GraphLoader
trainer.fit(GraphLoader(store, index[:56], y, 8, shuffle=True), GraphLoader(store, index[56:], y, 16))
torch.save(model.state_dict(), out / f"replica-{world().rank}.pt")
print("batches", len(GraphLoader(store, index[:56], y, 8)), "rank", world().rank)
"""


def test_two_process_student_replicas_hold_identical_weights(tmp_path):
    script = tmp_path / "ddp_train.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(script), str(tmp_path)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    a = torch.load(tmp_path / "replica-0.pt", weights_only=True)
    b = torch.load(tmp_path / "replica-1.pt", weights_only=True)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)  # BatchNorm statistics too
    assert (tmp_path / "run" / "last.pt").exists() and (tmp_path / "run" / "history.json").exists()
    torch.manual_seed(0)
    import crysgnn_zoo as cz

    init = cz.get_model("cgcnn", n_conv=1, atom_dim=8).state_dict()
    assert not torch.equal(a["out.weight"], init["out.weight"])  # training moved the weights


def test_shards_split_an_epoch_evenly_without_overlap(monkeypatch):
    import crysgnn_zoo.graphs.loader as loader_module

    monkeypatch.setattr(loader_module, "collate", lambda store, batch, with_vectors=False, backend=None: batch)
    loaders = [GraphLoader(None, np.arange(23), None, batch_size=4, shuffle=True, seed=1) for _ in range(3)]
    for rank, loader in enumerate(loaders):
        loader.set_shard(rank, 3)
        loader.set_epoch(5)
    orders = [np.concatenate([batch for batch, _, _ in loader]) for loader in loaders]
    assert [len(o) for o in orders] == [7, 7, 7] and {len(loader) for loader in loaders} == {2}
    together = np.concatenate(orders)
    assert len(np.unique(together)) == 21 and set(together.tolist()) <= set(range(23))
    whole = GraphLoader(None, np.arange(23), None, batch_size=4, shuffle=True, seed=1)
    whole.set_epoch(5)
    assert len(np.concatenate([batch for batch, _, _ in whole])) == 23  # unsharded: every crystal
