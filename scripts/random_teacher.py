"""A control teacher: a CrysGNN teacher's architecture at random initialisation, never trained.

    python scripts/random_teacher.py --like crysgnn-v1 --seed 0 --name crysgnn-random0

Distilling from it (``python -m benchmarks.teachers ... --settings
crysgnn-random0:spread:0.5:1:half_decay``) separates what a trained teacher's knowledge adds
from what the embedding term does on its own (docs/benchmarks.md, "a teacher that learned
nothing"). The folder (config.json, weights.pt, card.json with its SHA-256) goes to the
weights cache, ``$CRYSGNN_ZOO_CACHE/weights/<name>``, where teacher names are looked up, unless
``--out`` names another folder. Same ``--like`` and ``--seed``: the same weights.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from crysgnn_zoo.distill.teachers import load_teacher
from crysgnn_zoo.hub.checkpoint import save_checkpoint
from crysgnn_zoo.nets.registry import build_model
from crysgnn_zoo.paths import cache_dir


def make_random_teacher(like: str | Path, seed: int, out: Path, name: str) -> Path:
    """Write ``like``'s architecture, initialised with ``torch.manual_seed(seed)``, to ``out``."""
    teacher = load_teacher(like)
    torch.manual_seed(seed)
    net = build_model(teacher.registry_name, teacher.config)
    card = {"name": name, "architecture": teacher.registry_name,
            "num_params": sum(p.numel() for p in net.parameters()),
            "data": {"labels_used": "none", "crystals": 0,
                     "note": f"{teacher.card.get('name', like)}'s architecture at random initialisation "
                             f"(torch.manual_seed({seed})); never trained: a control, not a teacher to use"}}
    return save_checkpoint(out, net, graph_config=teacher.graph_config, target=None, card=card)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--like", default="crysgnn-v1", help="release name or checkpoint folder whose architecture to use")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--name", default="crysgnn-random0", help="teacher name (no '_': it becomes part of folder names)")
    ap.add_argument("--out", type=Path, help="folder to write (default: the weights cache, under --name)")
    args = ap.parse_args(argv)
    out = args.out or cache_dir("weights") / args.name
    path = make_random_teacher(args.like, args.seed, out, args.name)
    print(f"wrote {path} (sha256 {json.loads((path / 'card.json').read_text())['sha256']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
