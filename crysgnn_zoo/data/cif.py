"""CIF checks that need the CIF's own site table, before ASE's reader builds a cell.

ASE's reader silently picks the majority species of a mixed site, reads a
partially occupied site as a full one, and merges sites that land on the same
position after symmetry expansion. Here each of those is an error that names
the file, the site labels and the occupancies:

- **Disorder** (:class:`DisorderError`): a site whose ``_atom_site_occupancy``
  differs from 1 by more than :data:`OCCUPANCY_TOLERANCE`, or whose
  ``_atom_site_type_symbol`` names several elements (``Fe0.5Co0.5``).
  Oxidation states (``Fe2+``) are fine.
- **Coinciding sites** (:class:`OverlappingAtomsError`): two listed sites on one
  position (within ASE's symmetry tolerance of 1e-3 in fractional coordinates),
  which the reader would merge into one atom.
- **Degenerate cell** (:class:`DegenerateCellError`): the cell as written has a
  zero edge or coplanar edges.
"""
from __future__ import annotations

import io
import math
import re
from typing import TYPE_CHECKING

import numpy as np

from crysgnn_zoo.data.checks import check_cell
from crysgnn_zoo.data.errors import DisorderError, OverlappingAtomsError, StructureError

if TYPE_CHECKING:
    import ase
    from ase.io.cif import CIFBlock


OCCUPANCY_TOLERANCE = 0.005  # a site with 0.995 <= occupancy <= 1.005 is fully occupied
_ELEMENT = re.compile(r"[A-Z][a-z]?")
_CELL_TAGS = ("_cell_length_a", "_cell_length_b", "_cell_length_c",
              "_cell_angle_alpha", "_cell_angle_beta", "_cell_angle_gamma")


def _number(value) -> float | None:
    """A CIF numeric value (``0.5``, ``0.50(2)``) as float; ``None`` for ``?``/``.``/text."""
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(re.sub(r"\(\d+\)$", "", str(value).strip()))
    except ValueError:
        return None


def cif_structure_block(text: str, where: str) -> CIFBlock:
    """The one data block of ``text`` that holds a structure (ASE ``CIFBlock``).

    Raises:
        StructureError: no block holds a structure, or several do (a silent pick
            of one would be a guess).
    """
    from ase.io.cif import parse_cif

    try:
        blocks = [b for b in parse_cif(io.StringIO(text)) if _has_sites(b)]
    except Exception as exc:  # noqa: BLE001 - ASE raises many types for bad text
        detail = f": {exc}" if str(exc) else f" ({type(exc).__name__})"
        raise StructureError(where, f"malformed CIF{detail}") from None
    if not blocks:
        raise StructureError(where, "malformed CIF: no data block with both atom symbols and positions")
    if len(blocks) > 1:
        names = ", ".join(b.name for b in blocks[:5])
        raise StructureError(where, f"the CIF holds {len(blocks)} structures (data blocks {names}); "
                                    "give one structure per file")
    return blocks[0]


_POSITION_TAGS = ("_atom_site_fract_x", "_atom_site_cartn_x")
_COORD_TAGS = ("_atom_site_fract_x", "_atom_site_fract_y", "_atom_site_fract_z",
               "_atom_site_cartn_x", "_atom_site_cartn_y", "_atom_site_cartn_z")


def _site_loops_per_block(text: str) -> list[int]:
    """For each data block of ``text``, how many ``loop_`` tables hold atom positions."""
    counts: list[int] = []
    in_header = False
    for raw in text.splitlines():
        line = raw.strip().lower()
        if line.startswith("data_"):
            counts.append(0)
        elif line == "loop_":
            in_header = True
        elif in_header and line.startswith("_"):
            if line.split()[0] in _POSITION_TAGS and counts:
                counts[-1] += 1
                in_header = False
        else:
            in_header = False
    return counts


def _element_of(text: str) -> str | None:
    """The element a site's type symbol or label starts with, as pymatgen reads labels:
    the leading letters, the first two capitalised if that is an element (``NA1`` -> Na,
    ``fe`` -> Fe), else the first one (``C1`` -> C); None if neither is an element."""
    from ase.data import atomic_numbers

    letters = re.match(r"[A-Za-z]*", text.strip()).group(0)
    for candidate in (letters[:2].capitalize(), letters[:1].upper()):
        if len(candidate) and candidate in atomic_numbers and candidate != "X":
            return candidate
    return None


def _type_symbol(symbol: str) -> str:
    """A type symbol in the element's own case (``fe`` -> Fe, ``FE2+`` -> Fe2+); symbols already in
    it (``Fe2+``, ``Fe0.5Co0.5``) and unknown ones (named later) are left as written."""
    head = re.match(r"[A-Za-z]{1,2}", symbol)
    if head is None or re.match(r"[A-Z][a-z]?(?![A-Za-z])", symbol):
        return symbol
    element = _element_of(symbol)
    if element is None:
        return symbol
    return element + symbol[len(element):]


def normalized_site_table(block: CIFBlock, text: str, where: str) -> CIFBlock:
    """``block`` with one element per site, read by one convention, or a named error.

    - Several ``_atom_site`` loops with positions in one block: ASE keeps the last and drops the
      others silently, so this is an error naming the count.
    - ``?`` or ``.`` (unknown) for a coordinate: an error naming the site and the tag.
    - Type symbols in another case (``fe``, ``FE``) are read as the element (Fe).
    - No ``_atom_site_type_symbol``: elements come from the labels as pymatgen reads them
      (``NA1`` is Na, ``CL2`` is Cl, ``C1`` is C); a label that starts with no element is an error.

    Raises:
        StructureError: as above.
    """
    from ase.io.cif import CIFBlock as _Block

    loops = max(_site_loops_per_block(text), default=0)
    if loops > 1:
        raise StructureError(where, f"the CIF lists atom sites in {loops} separate _atom_site loops; a reader would "
                                    "keep only one of them: merge them into one loop")
    n = len(block.get("_atom_site_label") or block.get("_atom_site_type_symbol") or [])
    names = _site_names(block, n)
    for tag in _COORD_TAGS:
        for name, value in zip(names, block.get(tag) or []):
            if isinstance(value, str) and _number(value) is None:
                raise StructureError(where, f"site {name}: {tag} is {value!r}, not a number; every site needs "
                                            "numeric coordinates")
    tags = dict(block.items())
    types = block.get("_atom_site_type_symbol")
    if types is not None:
        tags["_atom_site_type_symbol"] = [_type_symbol(str(t)) for t in types]
    elif block.get("_atom_site_label") is not None:
        elements = [_element_of(str(label)) for label in block["_atom_site_label"]]
        bad = [str(label) for label, e in zip(block["_atom_site_label"], elements) if e is None]
        if bad:
            raise StructureError(where, f"no _atom_site_type_symbol, and labels {bad[:5]} start with no element "
                                        "symbol: add the type symbols")
        tags["_atom_site_type_symbol"] = elements
    return _Block(block.name, tags)


def _has_sites(block: CIFBlock) -> bool:
    """Whether a data block lists atom sites: positions, and a type symbol or a label for each."""
    return (any(tag in block for tag in _POSITION_TAGS)
            and ("_atom_site_type_symbol" in block or "_atom_site_label" in block))


def check_cif_cell(block: CIFBlock, where: str) -> None:
    """The cell as written: complete, numeric and not degenerate."""
    values = [_number(block.get(tag)) if tag in block else None for tag in _CELL_TAGS]
    if any(v is None for v in values):
        missing = [t for t, v in zip(_CELL_TAGS, values) if v is None]
        raise StructureError(where, f"not a periodic 3D crystal: the CIF gives no numeric {', '.join(missing)}")
    lengths, angles = np.asarray(values[:3]), np.asarray(values[3:])
    for tag, value in zip(_CELL_TAGS, values):
        if tag.startswith("_cell_length") and value < 0:  # zero, NaN: the degenerate-cell check names them
            raise StructureError(where, f"{tag} is {value:g}: a cell length must be positive (Angstrom)")
        if tag.startswith("_cell_angle") and (value < 0 or value > 180):
            raise StructureError(where, f"{tag} is {value:g}: a cell angle must lie between 0 and 180 degrees")
    cos = np.cos(np.radians(angles))
    factor = 1.0 - (cos**2).sum() + 2.0 * cos.prod()
    volume = float(abs(lengths.prod()) * math.sqrt(max(factor, 0.0)))
    check_cell(np.abs(lengths), angles, volume, where)


def _site_names(block, n: int) -> list[str]:
    labels = block.get("_atom_site_label")
    return [str(x) for x in labels] if labels is not None else [f"#{i + 1}" for i in range(n)]


def check_sites(block: CIFBlock, where: str) -> None:
    """Raise :class:`DisorderError` for partially occupied or mixed-species sites, listing them all."""
    types = block.get("_atom_site_type_symbol")
    occupancies = block.get("_atom_site_occupancy")
    n = len(types if types is not None else block.get_symbols())
    names = _site_names(block, n)
    species = [str(t) for t in types] if types is not None else block.get_symbols()
    problems = []
    for name, symbol in zip(names, species):
        if len(set(_ELEMENT.findall(symbol))) > 1:
            problems.append(f"site {name} lists several species {symbol!r}")
    for name, symbol, raw in zip(names, species, occupancies if occupancies is not None else []):
        occ = _number(raw)
        if occ is not None and abs(occ - 1.0) > OCCUPANCY_TOLERANCE:
            problems.append(f"site {name} ({symbol}) has occupancy {occ:g}")
    if problems:
        shown = "; ".join(problems[:6]) + (f"; and {len(problems) - 6} more" if len(problems) > 6 else "")
        raise DisorderError(
            where, f"disordered structure: {shown}. A crystal graph needs one element on each fully occupied "
                   "site: order the structure first (e.g. pick one species per site, or pymatgen's "
                   "OrderDisorderedStructureTransformation)"
        )


def check_merged_sites(block: CIFBlock, ase_atoms: ase.Atoms, where: str) -> None:
    """Raise :class:`OverlappingAtomsError` when the symmetry expansion merged a listed
    site into another (ASE records each atom's source site in ``spacegroup_kinds``)."""
    kinds = ase_atoms.arrays.get("spacegroup_kinds")
    if kinds is None:
        return
    listed = block.get_unsymmetrized_structure()
    merged = sorted(set(range(len(listed))) - set(np.asarray(kinds).tolist()))
    if not merged:
        return
    names = _site_names(block, len(listed))
    symbols = listed.get_chemical_symbols()
    frac = listed.get_scaled_positions(wrap=True)
    kept = ase_atoms.get_scaled_positions(wrap=True)
    pairs = []
    for j in merged:
        diff = kept - frac[j]
        diff -= np.rint(diff)
        i = int(kinds[int(np.argmin(np.abs(diff).max(axis=1)))])
        x, y, z = frac[j]
        pairs.append(f"sites {names[i]} ({symbols[i]}) and {names[j]} ({symbols[j]}) are on the same "
                     f"position ({x:.4f}, {y:.4f}, {z:.4f})")
    raise OverlappingAtomsError(
        where, "; ".join(pairs[:6]) + ": duplicated or overlapping atoms, which would be merged into one "
               "(a mixed site written without occupancies?)"
    )


#: Two listed sites closer than this in every fractional coordinate are one position
#: (ASE's symmetry-expansion tolerance, so both paths refuse the same CIFs).
SITE_TOLERANCE = 1e-3


def p1_atoms(block: CIFBlock) -> ase.Atoms | None:
    """The structure of a CIF whose only symmetry operation is the identity (P1, as the
    Materials Project writes them), built from the site table directly: ASE's symmetry
    expansion costs ~11 ms per mp_37k crystal and gives the same atoms here (identical species,
    cell and positions on the 300 CIFs of ``benchmarks.predict_speed --n 300``). ``None`` for
    any other space group (ASE's reader expands those). Sites listed twice are not merged: the
    overlap check of the built structure refuses them (:func:`name_coinciding_sites` names them).
    """
    spacegroup = block.get_spacegroup(True)
    if spacegroup.no != 1 or len(spacegroup.get_rotations()) != 1:
        return None
    atoms = block.get_unsymmetrized_structure()
    atoms.pbc = True  # as ASE's expansion sets it
    atoms.set_scaled_positions(np.mod(atoms.get_scaled_positions(wrap=False), 1.0))
    return atoms


def name_coinciding_sites(block: CIFBlock, where: str) -> None:
    """Raise :class:`OverlappingAtomsError` naming, by label, listed sites on one position
    (within :data:`SITE_TOLERANCE` in every fractional coordinate); return if there are none.
    Called only once the built structure has failed its overlap check, to say which rows of
    the site table are at fault."""
    listed = block.get_unsymmetrized_structure()
    frac = np.mod(listed.get_scaled_positions(wrap=False), 1.0)
    diff = np.abs(frac[:, None, :] - frac[None, :, :])
    diff = np.minimum(diff, 1.0 - diff).max(axis=2)
    i, j = np.nonzero(np.triu(diff < SITE_TOLERANCE, k=1))
    if not len(i):
        return
    names, symbols = _site_names(block, len(frac)), listed.get_chemical_symbols()
    pairs = [f"sites {names[a]} ({symbols[a]}) and {names[b]} ({symbols[b]}) are on the same position "
             f"({frac[a, 0]:.4f}, {frac[a, 1]:.4f}, {frac[a, 2]:.4f})" for a, b in zip(i[:6], j[:6])]
    raise OverlappingAtomsError(where, "; ".join(pairs) + ": duplicated or overlapping atoms")
