"""Text/record -> jarvis-tools ``Atoms``, validated.

CIF and POSCAR text are parsed with ASE's readers, which keep the cell as
written (jarvis-tools' own CIF reader reduces some cells to the primitive one,
which would silently change extensive targets), then converted into the one
structure type used inside the package: ``jarvis.core.atoms.Atoms``.
"""
from __future__ import annotations

import io
import math
import warnings
from typing import Any

import numpy as np

from crysgnn_zoo.data.errors import StructureError, UnknownElementError
from crysgnn_zoo.data.elements import MAX_Z

_MIN_VOLUME = 1e-3  # Angstrom^3


def atoms_from_arrays(
    lattice: Any, frac_coords: Any, symbols: list[str], where: str
) -> "Atoms":  # noqa: F821 - jarvis type
    """Validated jarvis ``Atoms`` from a lattice (rows, Angstrom), fractional
    coordinates and element symbols.

    Raises:
        StructureError: empty cell, non-finite values or a degenerate lattice.
        UnknownElementError: an element outside Z = 1..103.
    """
    from ase.data import atomic_numbers
    from jarvis.core.atoms import Atoms

    if len(symbols) == 0:
        raise StructureError(where, "empty cell: the structure has no atoms")
    lattice = np.asarray(lattice, dtype=np.float64)
    frac = np.asarray(frac_coords, dtype=np.float64)
    if lattice.shape != (3, 3):
        raise StructureError(where, f"lattice must be 3x3, got shape {lattice.shape}")
    if frac.shape != (len(symbols), 3):
        raise StructureError(where, f"{len(symbols)} elements but coordinates of shape {frac.shape}")
    if not (np.isfinite(lattice).all() and np.isfinite(frac).all()):
        raise StructureError(where, "lattice or coordinates contain NaN/inf")
    volume = abs(float(np.linalg.det(lattice)))
    if volume < _MIN_VOLUME:
        raise StructureError(where, f"degenerate lattice: cell volume {volume:.3g} Angstrom^3")
    for sym in set(symbols):
        z = atomic_numbers.get(sym)
        if z is None:
            raise UnknownElementError(where, f"unknown element {sym!r}")
        if not 1 <= z <= MAX_Z:
            raise UnknownElementError(
                where, f"element {sym} (Z={z}) is outside the supported range Z=1..{MAX_Z}"
            )
    return Atoms(lattice_mat=lattice, coords=frac, elements=list(symbols), cartesian=False)


def _from_ase_text(text: str, fmt: str, where: str):
    import ase.io

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ase_atoms = ase.io.read(io.StringIO(text), format=fmt)
    except KeyError as exc:  # ASE raises KeyError('Xx') for an unknown symbol
        raise UnknownElementError(where, f"unknown element {exc.args[0]!r}") from None
    except StopIteration:
        raise StructureError(where, f"malformed {fmt.upper()}: no complete structure block") from None
    except Exception as exc:  # noqa: BLE001 - ASE raises many types for bad text
        detail = f": {exc}" if str(exc) else f" ({type(exc).__name__})"
        raise StructureError(where, f"malformed {fmt.upper()}{detail}") from None
    if isinstance(ase_atoms, list):
        ase_atoms = ase_atoms[0]
    if len(ase_atoms) == 0:
        raise StructureError(where, "empty cell: the structure has no atoms")
    if not ase_atoms.pbc.all() or ase_atoms.cell.rank < 3:
        raise StructureError(where, "not a periodic 3D crystal (cell missing or incomplete)")
    return atoms_from_arrays(
        ase_atoms.cell.array,
        ase_atoms.get_scaled_positions(wrap=False),
        ase_atoms.get_chemical_symbols(),
        where,
    )


def atoms_from_cif(text: str, where: str = "<cif>"):
    """Parse CIF text (first data block) into validated jarvis ``Atoms``."""
    lowered = text.lower()
    if "_atom_site_fract_x" not in lowered and "_atom_site_cartn_x" not in lowered:
        if "_cell_length_a" in lowered:
            raise StructureError(where, "empty cell: the CIF has no atom sites")
        raise StructureError(where, "malformed CIF: no cell and no atom sites found")
    return _from_ase_text(text, "cif", where)


def atoms_from_poscar(text: str, where: str = "<poscar>"):
    """Parse POSCAR/CONTCAR text into validated jarvis ``Atoms``."""
    return _from_ase_text(text, "vasp", where)


def atoms_from_jarvis_dict(record: dict, where: str = "<jarvis>"):
    """A jarvis-tools ``Atoms.to_dict()`` record -> validated ``Atoms``."""
    try:
        lattice = np.asarray(record["lattice_mat"], dtype=np.float64)
        coords = np.asarray(record["coords"], dtype=np.float64).reshape(-1, 3)
        symbols = [str(s).strip() for s in record["elements"]]
        cartesian = bool(record.get("cartesian", False))
    except (KeyError, TypeError, ValueError) as exc:
        raise StructureError(where, f"malformed jarvis atoms record: {exc!r}") from None
    if cartesian and len(coords):
        try:
            coords = coords @ np.linalg.inv(lattice)
        except np.linalg.LinAlgError:
            raise StructureError(where, "degenerate lattice: cannot invert") from None
    return atoms_from_arrays(lattice, coords, symbols, where)


def parse_structure(fmt: str, payload: Any, where: str):
    """Dispatch on the entry format: ``cif``, ``poscar``, ``jarvis`` or ``file``."""
    parser = _PARSERS.get(fmt)
    if parser is None:
        raise StructureError(where, f"unknown structure format {fmt!r}; known: {sorted(_PARSERS)}")
    return parser(payload, where)


def _parse_file(path: str, where: str):
    lowered = path.lower()
    try:
        with open(path) as fh:
            text = fh.read()
    except OSError as exc:
        raise StructureError(where, f"cannot read file: {exc.strerror}") from None
    if lowered.endswith(".cif"):
        return atoms_from_cif(text, where)
    return atoms_from_poscar(text, where)


_PARSERS = {
    "cif": atoms_from_cif,
    "poscar": atoms_from_poscar,
    "jarvis": atoms_from_jarvis_dict,
    "file": _parse_file,
}


def as_float(value: Any) -> float:
    """A target cell as float; empty/'na'/'nan'/None -> NaN."""
    if value is None:
        return math.nan
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if text.lower() in ("", "na", "nan", "none", "null"):
        return math.nan
    return float(text)
