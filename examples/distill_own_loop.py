"""Distil the CrysGNN teacher into a student inside your own training loop.

    python examples/distill_own_loop.py            # GATGNN on the embedded MP sample, 5 epochs
    python examples/distill_own_loop.py --model cgcnn --epochs 20

The README shows this file; tests run it, so it stays runnable.
"""
import argparse

import numpy as np
import torch

import crysgnn_zoo as cz
from crysgnn_zoo.data import open_source
from crysgnn_zoo.graphs import build_store, collate

ap = argparse.ArgumentParser()
ap.add_argument("--model", default="gatgnn")
ap.add_argument("--epochs", type=int, default=5)
ap.add_argument("--n", type=int, default=1000, help="crystals used (train 80%, test 20%)")
args = ap.parse_args()

store = build_store(open_source("mp_37k_sample")).store          # graphs, cached on disk
store = store.subset(np.arange(min(args.n, len(store))))
y = torch.tensor(store.target("formation_energy_per_atom"), dtype=torch.float32)
mean, std = y.mean(), y.std()
order = np.random.default_rng(0).permutation(len(store))
train, test = order[: int(0.8 * len(order))], order[int(0.8 * len(order)):]

torch.manual_seed(0)
model = cz.get_model(args.model, distill=True)                  # student + frozen default teacher (DistillConfig)
model.prepare(store)         # teacher embeddings of every atom, once; the teacher never runs again
opt = torch.optim.Adam(model.parameters(), lr=3e-3)               # student + projection; not the teacher

for epoch in range(args.epochs):
    model.set_progress(epoch / args.epochs)  # drives DistillConfig.alpha_schedule (a no-op when constant)
    model.train()
    for batch in np.array_split(np.random.default_rng(epoch).permutation(train), max(1, len(train) // 64)):
        g = collate(store, batch, with_vectors=model.needs_vectors)
        loss, _ = model.training_loss(g, ((y[batch] - mean) / std).view(-1, 1))  # (1 - alpha) task + alpha embedding
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        g = collate(store, test, with_vectors=model.needs_vectors)
        mae = (model(g)[:, 0] * std + mean - y[test]).abs().mean()
    print(f"epoch {epoch + 1}: train loss {loss.item():.4f}, test MAE {mae:.4f} eV/atom")

student = model.student      # the plain student: predicts exactly like `model`, no teacher attached
