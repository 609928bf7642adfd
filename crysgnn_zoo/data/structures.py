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
from typing import TYPE_CHECKING, Any

import numpy as np

from crysgnn_zoo.data.checks import check_lattice, check_overlaps
from crysgnn_zoo.data.spacegroups import resolve_setting
from crysgnn_zoo.data.cif import (
    check_cif_cell,
    check_merged_sites,
    check_sites,
    cif_structure_block,
    name_coinciding_sites,
    normalized_site_table,
    p1_atoms,
)
from crysgnn_zoo.data.elements import MAX_Z
from crysgnn_zoo.data.poscar import check_poscar_text
from crysgnn_zoo.data.errors import OverlappingAtomsError, StructureError, UnknownElementError
from crysgnn_zoo.data.text import read_text

if TYPE_CHECKING:
    from jarvis.core.atoms import Atoms as JarvisAtoms


def atoms_from_arrays(
    lattice: Any, frac_coords: Any, symbols: list[str], where: str
) -> "Atoms":  # noqa: F821 - jarvis type
    """Validated jarvis ``Atoms`` from a lattice (rows, Angstrom), fractional
    coordinates and element symbols. Every reader ends here, so the checks of
    :mod:`crysgnn_zoo.data.checks` hold for every structure, however it was read.

    Raises:
        StructureError: empty cell or non-finite values.
        DegenerateCellError: a zero-length or coplanar lattice vector.
        UnknownElementError: an element outside Z = 1..103.
        OverlappingAtomsError: two atoms closer than ``MIN_ATOM_DISTANCE``.
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
    check_lattice(lattice, where)
    for sym in set(symbols):
        z = atomic_numbers.get(sym)
        if z is None:
            raise UnknownElementError(where, f"unknown element {sym!r}")
        if not 1 <= z <= MAX_Z:
            raise UnknownElementError(
                where, f"element {sym} (Z={z}) is outside the supported range Z=1..{MAX_Z}"
            )
    check_overlaps(lattice, frac, list(symbols), where)
    return Atoms(lattice_mat=lattice, coords=frac, elements=list(symbols), cartesian=False)


def _ase_atoms_to_jarvis(ase_atoms, where: str):
    if len(ase_atoms) == 0:
        raise StructureError(where, "empty cell: the structure has no atoms")
    if not ase_atoms.pbc.all() or ase_atoms.cell.rank == 0:
        raise StructureError(where, "not a periodic 3D crystal (cell missing or incomplete)")
    lattice = ase_atoms.cell.array
    check_lattice(lattice, where)  # before fractional coordinates, which need an invertible cell
    return atoms_from_arrays(lattice, ase_atoms.get_scaled_positions(wrap=False),
                             ase_atoms.get_chemical_symbols(), where)


def _malformed(fmt: str, exc: Exception, where: str) -> StructureError:
    if isinstance(exc, KeyError):  # ASE raises KeyError('Xx') for an unknown symbol
        return UnknownElementError(where, f"unknown element {exc.args[0]!r}")
    if isinstance(exc, StopIteration):
        return StructureError(where, f"malformed {fmt}: no complete structure block")
    detail = f": {exc}" if str(exc) else f" ({type(exc).__name__})"
    return StructureError(where, f"malformed {fmt}{detail}")


def atoms_from_cif(text: str, where: str = "<cif>") -> JarvisAtoms:
    """Parse CIF text (one structure) into validated jarvis ``Atoms``.

    Disordered sites (:func:`crysgnn_zoo.data.cif.check_sites`) and sites that the
    symmetry expansion would merge are errors; the cell is checked as written.

    Raises:
        StructureError (or a subclass): see :mod:`crysgnn_zoo.data.cif`.
    """
    lowered = text.lower()
    if "_atom_site_fract_x" not in lowered and "_atom_site_cartn_x" not in lowered:
        if "_cell_length_a" in lowered:
            raise StructureError(where, "empty cell: the CIF has no atom sites")
        raise StructureError(where, "malformed CIF: no cell and no atom sites found")
    block = normalized_site_table(cif_structure_block(text, where), text, where)
    check_cif_cell(block, where)
    check_sites(block, where)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            block = resolve_setting(block, where)
            ase_atoms = p1_atoms(block)
            if ase_atoms is None:  # any other space group: ASE expands the symmetry
                ase_atoms = block.get_atoms(fractional_occupancies=False)
    except StructureError:
        raise
    except Exception as exc:  # noqa: BLE001 - ASE raises many types for bad text
        raise _malformed("CIF", exc, where) from None
    check_merged_sites(block, ase_atoms, where)
    try:
        return _ase_atoms_to_jarvis(ase_atoms, where)
    except OverlappingAtomsError:
        name_coinciding_sites(block, where)  # a site listed twice: say which rows of the table
        raise


def atoms_from_poscar(text: str, where: str = "<poscar>") -> JarvisAtoms:
    """Parse POSCAR/CONTCAR text into validated jarvis ``Atoms``."""
    import ase.io

    check_poscar_text(text, where)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ase_atoms = ase.io.read(io.StringIO(text), format="vasp")
    except Exception as exc:  # noqa: BLE001 - ASE raises many types for bad text
        raise _malformed("POSCAR", exc, where) from None
    return _ase_atoms_to_jarvis(ase_atoms, where)


def atoms_from_jarvis_dict(record: dict, where: str = "<jarvis>") -> JarvisAtoms:
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
            check_lattice(lattice, where)
            raise StructureError(where, "degenerate lattice: cannot invert") from None
    return atoms_from_arrays(lattice, coords, symbols, where)


def parse_structure(fmt: str, payload: Any, where: str) -> JarvisAtoms:
    """Dispatch on the entry format: ``cif``, ``poscar``, ``jarvis`` or ``file``."""
    parser = _PARSERS.get(fmt)
    if parser is None:
        raise StructureError(where, f"unknown structure format {fmt!r}; known: {sorted(_PARSERS)}")
    return parser(payload, where)


def _parse_file(path: str, where: str):
    lowered = path.lower().removesuffix(".gz")
    text = read_text(path, where)
    if lowered.endswith(".cif"):
        return atoms_from_cif(text, where)
    return atoms_from_poscar(text, where)


def _parse_converted(payload: tuple, where: str):
    """``(converter, obj)``: ``converter(obj, where)`` gives lattice, fractional coordinates and symbols
    of an in-memory structure (ASE, pymatgen), or raises a named error."""
    convert, obj = payload
    arrays = convert(obj, where)
    return atoms_from_arrays(arrays["lattice"], arrays["frac_coords"], arrays["symbols"], where)


_PARSERS = {
    "cif": atoms_from_cif,
    "poscar": atoms_from_poscar,
    "jarvis": atoms_from_jarvis_dict,
    "file": _parse_file,
    "convert": _parse_converted,
}


#: target cells that mean "no value" (any case): read as NaN, reported as missing
NA_WORDS = ("", "na", "nan", "none", "null")


def as_float(value: Any) -> float:
    """A target cell as float; empty/'na'/'nan'/None -> NaN."""
    if value is None:
        return math.nan
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if text.lower() in NA_WORDS:
        return math.nan
    return float(text)
