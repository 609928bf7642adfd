"""Data-parallel pre-training: 2 CPU processes under torchrun (gloo) stay identical."""
from __future__ import annotations

import os
import subprocess
import sys

import torch


def test_two_process_replicas_hold_identical_weights(curated_dir, tmp_path):
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "crysgnn_zoo", "pretrain", "--curated", str(curated_dir), "--out", str(out),
           "--epochs", "1", "--max-steps", "4", "--batch-size", "8", "--set", "n_conv=2", "--set", "atom_dim=16",
           "--save-replicas", "--no-progress"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    a = torch.load(out / "replica-0.pt", weights_only=True)
    b = torch.load(out / "replica-1.pt", weights_only=True)
    assert a.keys() == b.keys()
    params = [k for k in a if "running" not in k and "num_batches" not in k]
    assert all(torch.equal(a[k], b[k]) for k in params)
    # and training moved them away from the shared initialisation
    torch.manual_seed(0)
    from crysgnn_zoo.nets.crysgnn import CrysGNN, CrysGNNConfig

    init = CrysGNN(CrysGNNConfig(atom_dim=16, n_conv=2)).state_dict()
    assert not torch.equal(a["encoder.embedding.weight"], init["embedding.weight"])
    assert (out / "teacher" / "weights.pt").exists()


def test_heap_policies_give_the_same_weights(curated_dir, tmp_path):
    """``--heap retain`` is process-wide, so each policy pre-trains in its own child process."""
    weights = {}
    for policy in ("trim", "retain"):
        out = tmp_path / policy
        cmd = [sys.executable, "-m", "crysgnn_zoo", "pretrain", "--curated", str(curated_dir), "--out", str(out),
               "--epochs", "1", "--max-steps", "3", "--batch-size", "8", "--set", "n_conv=1", "--set", "atom_dim=16",
               "--connectivity", "all_pairs", "--normalize-embeddings", "--heap", policy, "--no-progress"]
        proc = subprocess.run(cmd, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True,
                              timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        weights[policy] = torch.load(out / "teacher" / "weights.pt", weights_only=True)
    assert all(torch.equal(weights["trim"][k], weights["retain"][k]) for k in weights["trim"])


def test_unknown_heap_policy_is_refused(curated_store, tmp_path):
    import pytest

    from crysgnn_zoo.errors import ConfigError
    from crysgnn_zoo.pretrain.trainer import pretrain

    with pytest.raises(ConfigError, match="heap"):
        pretrain(curated_store, tmp_path / "x", heap="keep")
