"""Per-element atom features: a CGCNN-style one-hot encoding.

CGCNN (Xie & Grossman, PRL 2018) describes each element by one-hot bins of
group, period, electronegativity, covalent radius, valence electrons, first
ionisation energy, electron affinity, block and atomic volume. We compute the
same kind of encoding from element tables shipped with jarvis-tools
(``Elements.json``) and ASE (covalent radii); group, period, block and valence
electron count are derived from the atomic number. A property missing for an
element (jarvis marks it -9999) leaves that property's bins all zero.

The table covers Z = 1..103. Models hold the table as a buffer and index it
with the atomic numbers stored in the graph, so graphs never carry expanded
features.
"""
from __future__ import annotations

import functools
import json
import math
import os
from dataclasses import dataclass

import numpy as np

from crysgnn_zoo.data.elements import MAX_Z  # noqa: E402

FEATURIZER_VERSION = "onehot-longform-v1"

_PERIOD_ENDS = (2, 10, 18, 36, 54, 86, 118)


def period_of(z: int) -> int:
    """Period (row) of element ``z`` (1..7)."""
    for period, end in enumerate(_PERIOD_ENDS, start=1):
        if z <= end:
            return period
    raise ValueError(f"atomic number {z} is beyond the periodic table")


def group_and_block(z: int) -> tuple[int, str]:
    """IUPAC group (1..18; lanthanoids and actinoids count as group 3) and block."""
    period = period_of(z)
    start = _PERIOD_ENDS[period - 2] if period > 1 else 0
    pos = z - start  # 1-based position within the period
    if period == 1:
        return (1, "s") if pos == 1 else (18, "s")
    if period in (2, 3):
        return (pos, "s") if pos <= 2 else (pos + 10, "p")
    if period in (4, 5):
        if pos <= 2:
            return pos, "s"
        return (pos, "d") if pos <= 12 else (pos, "p")
    # periods 6 and 7: 14 f-block elements after group 2 (La..Yb, Ac..No), Lu/Lr in group 3
    if pos <= 2:
        return pos, "s"
    if pos <= 16:
        return 3, "f"
    group = pos - 14
    return (group, "d") if group <= 12 else (group, "p")


def long_form_column(z: int) -> int:
    """Column (1..32) in the long-form periodic table: s (1-2), f (3-16), d (17-26), p (27-32).

    Together with the period it identifies every element, so lanthanoids and
    actinoids get distinct encodings.
    """
    group, block = group_and_block(z)
    if z == 2:
        return 32
    if block == "s":
        return group
    if block == "f":
        period = period_of(z)
        return 2 + (z - _PERIOD_ENDS[period - 2] - 2)
    return group + 14  # d: 3..12 -> 17..26, p: 13..18 -> 27..32


def valence_electrons(z: int) -> int:
    """Outer-shell electron count used for the valence bins (1..12)."""
    group, block = group_and_block(z)
    if z == 2:  # helium: 1s2, listed in group 18
        return 2
    if block == "p":
        return group - 10
    if block == "f":
        return 3
    return group


def _one_hot(value: float | None, lo: float, hi: float, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=np.float32)
    if value is None or not math.isfinite(value):
        return out
    idx = int((value - lo) / (hi - lo) * n)
    out[min(max(idx, 0), n - 1)] = 1.0
    return out


def _categorical(index: int, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=np.float32)
    out[index] = 1.0
    return out


@functools.lru_cache(maxsize=1)
def _jarvis_elements() -> dict[int, dict]:
    import jarvis.core.specie as specie

    path = os.path.join(os.path.dirname(specie.__file__), "Elements.json")
    with open(path) as fh:
        table = json.load(fh)
    return {int(v["Z"]): v for v in table.values()}


def _prop(z: int, key: str, *, positive: bool = False) -> float | None:
    raw = _jarvis_elements().get(z, {}).get(key)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    if value == -9999 or (positive and value <= 0):
        return None
    return value


@dataclass(frozen=True)
class _Continuous:
    name: str
    bins: int
    log: bool = False


_CONTINUOUS = (
    _Continuous("X", 10),  # Pauling electronegativity (noble gases: missing)
    _Continuous("covalent_radius", 10),  # Angstrom, from ASE
    _Continuous("first_ion_en", 10),  # eV
    _Continuous("elec_aff", 10),  # eV
    _Continuous("mol_vol", 10, log=True),  # cm^3/mol
)


def _continuous_value(z: int, name: str) -> float | None:
    if name == "covalent_radius":
        from ase.data import covalent_radii

        return float(covalent_radii[z])
    return _prop(z, name, positive=name in ("X", "mol_vol", "first_ion_en"))


class AtomFeaturizer:
    """Maps atomic numbers to fixed one-hot feature vectors.

    ``table`` has shape ``(MAX_Z + 1, dim)``; row 0 is unused (all zeros).
    ``dim`` is 32 (long-form table column, i.e. group with the f-block spelled
    out) + 7 (period) + 4 (block) + 12 (valence electrons) + 5 x 10
    (electronegativity, covalent radius, first ionisation energy, electron
    affinity, log molar volume) = 105.
    """

    version = FEATURIZER_VERSION

    def __init__(self) -> None:
        self.table = self._build_table()

    @property
    def dim(self) -> int:
        return int(self.table.shape[1])

    @property
    def column_names(self) -> list[str]:
        """One name per feature column, e.g. ``column_3``, ``period_2``, ``X_bin_4``."""
        names = [f"column_{k + 1}" for k in range(32)] + [f"period_{k + 1}" for k in range(7)]
        names += [f"block_{b}" for b in "spdf"] + [f"valence_{k + 1}" for k in range(12)]
        for spec in _CONTINUOUS:
            names += [f"{spec.name}_bin_{k}" for k in range(spec.bins)]
        return names

    def __call__(self, atomic_numbers: np.ndarray) -> np.ndarray:
        """Features for an array of atomic numbers: ``(n,) -> (n, dim)``."""
        return self.table[np.asarray(atomic_numbers, dtype=np.int64)]

    @staticmethod
    def _build_table() -> np.ndarray:
        ranges = {}
        for spec in _CONTINUOUS:
            vals = [_continuous_value(z, spec.name) for z in range(1, MAX_Z + 1)]
            finite = [math.log(v) if spec.log else v for v in vals if v is not None]
            ranges[spec.name] = (min(finite), max(finite) + 1e-9)
        rows = [np.zeros(0, dtype=np.float32)]
        for z in range(1, MAX_Z + 1):
            _, block = group_and_block(z)
            parts = [
                _categorical(long_form_column(z) - 1, 32),
                _categorical(period_of(z) - 1, 7),
                _categorical("spdf".index(block), 4),
                _categorical(valence_electrons(z) - 1, 12),
            ]
            for spec in _CONTINUOUS:
                value = _continuous_value(z, spec.name)
                if value is not None and spec.log:
                    value = math.log(value)
                lo, hi = ranges[spec.name]
                parts.append(_one_hot(value, lo, hi, spec.bins))
            rows.append(np.concatenate(parts))
        dim = len(rows[1])
        rows[0] = np.zeros(dim, dtype=np.float32)
        return np.stack(rows).astype(np.float32)


@functools.lru_cache(maxsize=1)
def default_featurizer() -> AtomFeaturizer:
    """The shared featuriser instance (its table is built once per process)."""
    return AtomFeaturizer()
