"""Mini-batches of (graph, target) from a :class:`GraphStore`, reproducibly shuffled."""
from __future__ import annotations

from typing import Iterator

import numpy as np
import torch

from crysgnn_zoo.graphs.collate import collate
from crysgnn_zoo.graphs.store import GraphStore


class GraphLoader:
    """Iterates ``(batched_graph, targets (B, 1) float32, index (B,))``; graphs of ``backend``
    (``"dgl"``, ``"torch"``, ``None``: the CPU's, see :func:`crysgnn_zoo.backend.for_device`), on the CPU.

    With ``shuffle=True`` the order of epoch ``e`` is a permutation drawn from
    ``seed + e``, so a run resumed at epoch ``e`` sees the same batches. With a shard
    ``(rank, size)`` (data-parallel training) every process draws the same permutation, drops
    its last ``len % size`` crystals and takes every ``size``-th of the rest from ``rank`` on,
    so all processes run the same number of batches.
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
        backend: str | None = None,
    ) -> None:
        self.store = store
        self.index = np.asarray(index, dtype=np.int64)
        self.targets = None if targets is None else np.asarray(targets, dtype=np.float32)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.with_vectors = with_vectors
        self.backend = backend  # see crysgnn_zoo.graphs.collate
        self.epoch = 0
        self.shard = (0, 1)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def set_shard(self, rank: int, size: int) -> None:
        """Iterate only this process's share of every epoch (see the class docstring)."""
        if not 0 <= rank < size:
            raise ValueError(f"shard rank {rank} outside 0..{size - 1}")
        self.shard = (rank, size)

    def _n_items(self) -> int:
        return len(self.index) // self.shard[1]

    def __len__(self) -> int:
        return (self._n_items() + self.batch_size - 1) // self.batch_size

    def __iter__(self) -> Iterator[tuple]:
        order = self.index
        if self.shuffle:
            order = order[np.random.default_rng(self.seed + self.epoch).permutation(len(order))]
        rank, size = self.shard
        if size > 1:
            order = order[: self._n_items() * size][rank::size]
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            g = collate(self.store, batch, with_vectors=self.with_vectors, backend=self.backend)
            y = None if self.targets is None else torch.from_numpy(self.targets[batch]).view(-1, 1)
            yield g, y, batch
