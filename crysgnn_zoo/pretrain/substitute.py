"""Synthetic pre-training crystals: data-mined ion substitutions of real ones.

For each real crystal: oxidation states are guessed (pymatgen's bond-valence / composition
guess), pymatgen's :class:`SubstitutionPredictor` (the ion-substitution probabilities of Hautier et
al., Inorg. Chem. 50, 656 (2011), data shipped with pymatgen) lists joint substitutions of its
species with probability at least ``threshold``; those that leave the cell charge-balanced are
kept, most probable first, at most ``max_per_parent``. Each is applied to every site of the
replaced species and the cell is rescaled isotropically so that its volume changes by the ratio of
the summed cubed ionic radii (Shannon radii of the guessed states; the element's atomic radius
where pymatgen has none): ``V' = V * sum(r'^3) / sum(r^3)``. Nothing is relaxed. Every child then
goes through the same data policies as real crystals (:func:`crysgnn_zoo.data.structures.atoms_from_arrays`:
no overlapping atoms, no degenerate cell) and the same de-duplication in
:func:`crysgnn_zoo.pretrain.curate.finalize` (real crystals first). A child's id names its parent
and its substitution: ``mp-123|Na+>K+,Cl->Br-``. Deterministic: no random draw. Needs the
``pymatgen`` extra.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from crysgnn_zoo.data.sources import RawEntry
from crysgnn_zoo.errors import MissingExtraError, StructureError


@dataclass(frozen=True)
class Child:
    """One substituted crystal: its entry (``fmt="convert"``), parent id, substitution and probability."""

    entry: RawEntry
    parent: str
    substitution: str
    probability: float


def _pymatgen():
    try:
        from pymatgen.analysis.structure_prediction.substitution_probability import SubstitutionPredictor
        from pymatgen.core import Lattice, Structure
    except ImportError:
        raise MissingExtraError("substituted crystals need the pymatgen extra: pip install 'crysgnn-zoo[pymatgen]'") \
            from None
    return SubstitutionPredictor, Lattice, Structure


_PREDICTORS: dict[float, object] = {}


def _predictor(threshold: float):
    """One :class:`SubstitutionPredictor` per threshold and process (loading its table takes ~1 s)."""
    if threshold not in _PREDICTORS:
        _PREDICTORS[threshold] = _pymatgen()[0](threshold=threshold)
    return _PREDICTORS[threshold]


def _radius(species) -> float | None:
    with warnings.catch_warnings():  # pymatgen warns when it falls back to the low-spin radius
        warnings.simplefilter("ignore")
        r = getattr(species, "ionic_radius", None)
    if r is None:
        r = species.element.atomic_radius
    return None if r is None else float(r)


def _oxidised(atoms):
    """The crystal as a pymatgen Structure with guessed oxidation states, or None if none can be guessed."""
    _, Lattice, Structure = _pymatgen()
    structure = Structure(Lattice(np.asarray(atoms.lattice_mat, dtype=np.float64)), list(atoms.elements),
                          np.asarray(atoms.frac_coords, dtype=np.float64))
    guesses = structure.composition.oxi_state_guesses(max_sites=-1)
    if not guesses:
        return None
    structure.add_oxidation_state_by_element(guesses[0])
    return structure


def substitutions(atoms, parent: str, threshold: float = 1e-3, max_per_parent: int = 10) -> Iterator[Child]:
    """The substituted children of one crystal (jarvis ``Atoms``), most probable first.

    A crystal whose oxidation states cannot be guessed (an intermetallic, a pure element) has none.
    """
    structure = _oxidised(atoms)
    if structure is None:
        return
    species = sorted({site.specie for site in structure}, key=str)
    counts = {sp: sum(1 for site in structure if site.specie == sp) for sp in species}
    try:
        predictions = _predictor(threshold).list_prediction(species)
    except ValueError:  # a species outside the data-mined table (e.g. B3-)
        return
    found = []
    for prediction in predictions:
        mapping = {old: new for new, old in prediction["substitutions"].items()}
        if all(mapping[sp] == sp for sp in species):
            continue  # the parent itself
        if abs(sum(mapping[sp].oxi_state * counts[sp] for sp in species)) > 1e-6:
            continue  # not charge-balanced
        found.append((float(prediction["probability"]), mapping))
    found.sort(key=lambda item: (-item[0], str(item[1])))
    for probability, mapping in found[:max_per_parent]:
        child = _child(structure, mapping, parent, probability)
        if child is not None:
            yield child


def _child(structure, mapping: dict, parent: str, probability: float) -> Child | None:
    old = [_radius(site.specie) for site in structure]
    new = [_radius(mapping[site.specie]) for site in structure]
    if None in old or None in new:
        return None  # no radius to scale the cell by
    scale = (sum(r ** 3 for r in new) / sum(r ** 3 for r in old)) ** (1.0 / 3.0)
    label = ",".join(f"{sp}>{mapping[sp]}" for sp in sorted(mapping, key=str) if mapping[sp] != sp)
    ident = f"{parent}|{label}"
    arrays = {"lattice": np.asarray(structure.lattice.matrix) * scale, "frac_coords": structure.frac_coords,
              "symbols": [mapping[site.specie].element.symbol for site in structure]}
    return Child(RawEntry(ident, "convert", (_arrays, arrays), {}, f"substituted {ident}"), parent, label, probability)


def _arrays(arrays: dict, where: str) -> dict:
    if not np.isfinite(arrays["lattice"]).all():
        raise StructureError(where, "substituted cell is not finite")
    return arrays
