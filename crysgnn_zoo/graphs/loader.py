"""Mini-batches of (graph, target) from a :class:`GraphStore`, reproducibly shuffled."""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch

from crysgnn_zoo.graphs.collate import collate
from crysgnn_zoo.graphs.store import GraphStore


class GraphLoader:
    """Iterates ``(batched_graph, targets (B, 1) float32, index (B,))``.

    With ``shuffle=True`` the order of epoch ``e`` is a permutation drawn from
    ``seed + e``, so a run resumed at epoch ``e`` sees the same batches.
    """

    def __init__(
        self,
        store: GraphStore,
        index: np.ndarray,
        targets: np.ndarray | None,
        batch_size: int = 64,
        shuffle: bool = False,
        seed: int = 0,
        with_vectors: bool = False,
    ) -> None:
        self.store = store
        self.index = np.asarray(index, dtype=np.int64)
        self.targets = None if targets is None else np.asarray(targets, dtype=np.float32)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.with_vectors = with_vectors
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return (len(self.index) + self.batch_size - 1) // self.batch_size

    def __iter__(self) -> Iterator[tuple]:
        order = self.index
        if self.shuffle:
            order = order[np.random.default_rng(self.seed + self.epoch).permutation(len(order))]
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            g = collate(self.store, batch, with_vectors=self.with_vectors)
            y = None if self.targets is None else torch.from_numpy(self.targets[batch]).view(-1, 1)
            yield g, y, batch
