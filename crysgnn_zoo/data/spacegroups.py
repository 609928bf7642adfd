"""Making a CIF's space-group setting explicit before the symmetry expansion, or refusing it.

ASE's reader (which expands a CIF's symmetry here) reads the setting only from
``_symmetry_space_group_setting`` or, for rhombohedral groups, ``_symmetry_cell_setting``; it
ignores a ``:2`` / ``:R`` suffix of the Hermann-Mauguin name and otherwise takes setting 1. A CIF
written in the other setting would be built as another crystal. So, when a CIF lists no symmetry
operations (which fix the setting themselves):

- a ``:1`` / ``:2`` (origin choice) or ``:H`` / ``:R`` (axes) suffix sets the setting;
- a rhombohedral group (R3, R-3, R32, R3m, R3c, R-3m, R-3c) without one takes the setting its
  cell has: rhombohedral axes (a = b = c, alpha = beta = gamma) or hexagonal (gamma = 120);
- a group with two origin choices named without one is built in both; when the two differ the
  CIF is refused with a named error instead of a guess.

A CIF with symmetry operations but no group number or name is expanded with its operations.
"""
from __future__ import annotations

import re

import numpy as np
from ase.io.cif import CIFBlock
from ase.spacegroup import Spacegroup

from crysgnn_zoo.data.errors import StructureError

#: space groups with two origin choices in the International Tables (settings 1 and 2 in ASE)
TWO_ORIGINS = frozenset({48, 50, 59, 68, 70, 85, 86, 88, 125, 126, 129, 130, 133, 134, 137, 138, 141, 142,
                         201, 203, 222, 224, 227, 228})
#: rhombohedral space groups (hexagonal axes: setting 1; rhombohedral axes: setting 2)
RHOMBOHEDRAL = frozenset({146, 148, 155, 160, 161, 166, 167})
_SUFFIX = re.compile(r"\s*:\s*([12hr])\s*$", re.IGNORECASE)
#: a full monoclinic symbol with unique axis b (``P 1 21 1``), whose short form ASE knows (``P 21``)
_MONOCLINIC_B = re.compile(r"^([PCIFABR])\s+1\s+(\S+)\s+1$", re.IGNORECASE)
#: the same with unique axis a or c (``P 1 1 21``): another setting, which ASE's tables do not hold
_MONOCLINIC_AC = re.compile(r"^[PCIFABR]\s+(\S+\s+1\s+1|1\s+1\s+\S+)$", re.IGNORECASE)
_SETTING_TAG = "_symmetry_space_group_setting"


def _with(block: CIFBlock, **tags) -> CIFBlock:
    return CIFBlock(block.name, {**block._tags, **tags})


def _number(block: CIFBlock, name: str | None) -> int | None:
    no = block._get_spacegroup_number()
    if no is not None:
        return int(no)
    try:
        return Spacegroup(name).no if name else None
    except Exception:  # noqa: BLE001 - an unknown name: ASE's reader names it later
        return None


def _cell_setting(block: CIFBlock) -> int:
    a, b, c, alpha, beta, gamma = block.get_cellpar()
    rhombohedral_axes = np.allclose([a, b], c, rtol=1e-3) and np.allclose([alpha, beta], gamma, atol=0.05)
    return 2 if rhombohedral_axes and abs(gamma - 90) > 0.05 else 1


def _expanded_sites(block: CIFBlock, setting: int) -> np.ndarray:
    """Fractional positions (rounded, sorted) of the sites expanded in ``setting``."""
    spacegroup = Spacegroup(_number(block, block._get_spacegroup_name()), setting)
    listed = block.get_unsymmetrized_structure().get_scaled_positions(wrap=False)
    sites, _ = spacegroup.equivalent_sites(listed, onduplicates="keep", symprec=1e-3)
    return np.unique(np.round(np.mod(sites, 1.0), 3) % 1.0, axis=0)


def resolve_setting(block: CIFBlock, where: str) -> CIFBlock:
    """``block`` with its setting made explicit for ASE (see the module docstring).

    Raises:
        StructureError: a group with two origin choices, named without one, whose two settings
            give different crystals.
    """
    if block._get_sitesym():
        if block._get_spacegroup_number() is None and block._get_spacegroup_name() is None:
            return _with(block, _symmetry_int_tables_number=1)  # the listed operations alone expand it
        return block
    if _SETTING_TAG in block:
        return block
    name = block._get_spacegroup_name()
    full = _MONOCLINIC_B.match((name or "").strip())
    if full:  # the full symbol of the standard setting: its short name
        name = f"{full.group(1).upper()} {full.group(2)}"
        block = _with(block, **{"_symmetry_space_group_name_h-m": name})
    elif _MONOCLINIC_AC.match((name or "").strip()) and block._get_spacegroup_number() is None:
        raise StructureError(where, f"space group {name!r}: a monoclinic setting with unique axis a or c, which "
                                    "is read only from its symmetry operations: add them to the CIF")
    suffix = _SUFFIX.search(name or "")
    if suffix:
        code = suffix.group(1).upper()
        setting = {"1": 1, "2": 2, "H": 1, "R": 2}[code]
        stripped = name[: suffix.start()].strip()
        return _with(block, **{_SETTING_TAG: setting, "_symmetry_space_group_name_h-m": stripped})
    no = _number(block, name)
    if no in RHOMBOHEDRAL and "_symmetry_cell_setting" not in block:
        return _with(block, **{_SETTING_TAG: _cell_setting(block)})
    if no in TWO_ORIGINS:
        one, two = _expanded_sites(block, 1), _expanded_sites(block, 2)
        if one.shape != two.shape or not np.allclose(one, two, atol=2e-3):
            raise StructureError(where, f"space group {name or no} has two origin choices and the CIF says "
                                        f"neither (no ':1'/':2' in its name, no {_SETTING_TAG}, no symmetry "
                                        f"operations); they give different crystals ({len(one)} against {len(two)} "
                                        "atoms): add the symmetry operations or the origin choice")
    return block
