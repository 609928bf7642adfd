"""The one resumable shard writer: a folder of numbered blocks, each a :class:`GraphStore`
(``<prefix>-00007.npz``) and its metadata (``<prefix>-00007.json``).

The graph cache (:func:`crysgnn_zoo.graphs.build.build_store`, prefix ``shard``) and the
pre-training curation (:func:`crysgnn_zoo.pretrain.curate.curate`, prefix ``block``) both
write through it. The ``.npz`` is written atomically first and the ``.json`` second, so a
block counts as done exactly when its ``.json`` exists: an interrupted build resumes at the
first block without one.
"""
from __future__ import annotations

import json
from pathlib import Path

from crysgnn_zoo.graphs.store import GraphStore


class ShardFolder:
    """Numbered ``(GraphStore, metadata)`` blocks under ``folder``."""

    def __init__(self, folder: str | Path, prefix: str) -> None:
        self.folder = Path(folder)
        self.prefix = prefix

    def name(self, k: int) -> str:
        """File name of block ``k``'s store (``shard-00007.npz``)."""
        return f"{self.prefix}-{k:05d}.npz"

    def _meta_path(self, k: int) -> Path:
        return self.folder / f"{self.prefix}-{k:05d}.json"

    def done(self, k: int) -> bool:
        """Both files of block ``k`` are written."""
        return (self.folder / self.name(k)).exists() and self._meta_path(k).exists()

    def write(self, k: int, store: GraphStore, meta: dict) -> None:
        """Store first (atomically), metadata last: the metadata marks the block done."""
        self.folder.mkdir(parents=True, exist_ok=True)
        store.save(self.folder / self.name(k))
        tmp = self._meta_path(k).with_suffix(".json.tmp")
        tmp.write_text(json.dumps(meta))
        tmp.replace(self._meta_path(k))

    def meta(self, k: int) -> dict:
        return json.loads(self._meta_path(k).read_text())

    def load(self, k: int) -> GraphStore:
        return GraphStore.load(self.folder / self.name(k))
