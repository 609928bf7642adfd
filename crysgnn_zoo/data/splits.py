"""Seeded train/validation/test splits, saved with a content hash.

The hash is a SHA-256 over the ids of each part in order, so two runs that
report the same hash trained and tested on exactly the same crystals.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from crysgnn_zoo.errors import ConfigError


@dataclass(frozen=True)
class Split:
    """Index arrays into a set, plus the ids they name.

    Attributes:
        train, val, test: int64 index arrays.
        ids: ids of the whole set (the indices point into it).
        seed: the seed that drew the split.
    """

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    ids: np.ndarray
    seed: int

    @property
    def sizes(self) -> tuple[int, int, int]:
        return len(self.train), len(self.val), len(self.test)

    @property
    def hash(self) -> str:
        h = hashlib.sha256()
        for part in ("train", "val", "test"):
            h.update(f"[{part}]".encode())
            h.update("\n".join(self.ids[getattr(self, part)].tolist()).encode())
        return h.hexdigest()[:16]

    def to_dict(self) -> dict:
        return {
            "seed": self.seed,
            "sizes": list(self.sizes),
            "hash": self.hash,
            **{part: self.ids[getattr(self, part)].tolist() for part in ("train", "val", "test")},
        }

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict()))

    @classmethod
    def load(cls, path: str | Path, ids: Sequence[str]) -> "Split":
        """Re-create a saved split against a set whose ids are ``ids``.

        Raises:
            ConfigError: the file is not a saved split, or names ids this set lacks, or its hash differs.
        """
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path}: not a readable saved split ({type(exc).__name__}: {exc})") from None
        lacking = [k for k in ("train", "val", "test", "seed", "hash") if not isinstance(data, dict) or k not in data]
        if lacking:
            raise ConfigError(f"{path}: not a saved split (lacks {lacking})")
        pos = {k: i for i, k in enumerate(ids)}
        parts = {}
        for part in ("train", "val", "test"):
            missing = [k for k in data[part] if k not in pos]
            if missing:
                raise ConfigError(f"{path}: {len(missing)} {part} id(s) not in this set, e.g. {missing[:3]}")
            parts[part] = np.asarray([pos[k] for k in data[part]], dtype=np.int64)
        split = cls(ids=np.asarray(ids, dtype=str), seed=data["seed"], **parts)
        if split.hash != data["hash"]:
            raise ConfigError(f"{path}: split hash mismatch ({split.hash} != {data['hash']})")
        return split


def _sizes(n: int, sizes: Sequence[float]) -> tuple[int, int, int]:
    if len(sizes) != 3:
        raise ConfigError(f"split needs three sizes (train, val, test), got {list(sizes)}")
    if all(float(s).is_integer() and s >= 1 for s in sizes) and sum(sizes) > 1.0 + 1e-9:
        n_train, n_val, n_test = (int(s) for s in sizes)
        if n_train + n_val + n_test > n:
            raise ConfigError(f"split sizes {list(sizes)} exceed the {n} crystals available")
        return n_train, n_val, n_test
    if abs(sum(sizes) - 1.0) > 1e-6 or min(sizes) < 0:
        raise ConfigError(f"split fractions must be >= 0 and sum to 1, got {list(sizes)}")
    n_val = int(sizes[1] * n)
    n_test = int(sizes[2] * n)
    return n - n_val - n_test, n_val, n_test


def random_split(ids: Sequence[str], sizes: Sequence[float] = (0.8, 0.1, 0.1), seed: int = 0) -> Split:
    """Seeded random split of ``ids``.

    Args:
        ids: ids of the set, in store order.
        sizes: fractions summing to 1 (val and test rounded down, train takes
            the rest, as in ALIGNN) or absolute counts (e.g. 60000, 5000, 4239).
        seed: NumPy seed for the permutation.
    """
    ids = np.asarray(ids, dtype=str)
    n_train, n_val, n_test = _sizes(len(ids), sizes)
    perm = np.random.default_rng(seed).permutation(len(ids))
    return Split(
        train=np.sort(perm[:n_train]),
        val=np.sort(perm[n_train : n_train + n_val]),
        test=np.sort(perm[n_train + n_val : n_train + n_val + n_test]),
        ids=ids,
        seed=seed,
    )


def subsample(n: int, k: int | None, seed: int = 0) -> np.ndarray:
    """Sorted indices of ``k`` of ``n`` items drawn without replacement (all if ``k`` is None)."""
    if k is None or k >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, k, replace=False))
