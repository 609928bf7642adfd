"""Predict with a released property model or a saved checkpoint.

    from crysgnn_zoo import load_model, predict
    model = load_model("cgcnn-mp37k-formation-energy")   # or a checkpoint folder
    table = predict(model, ["structure.cif", ase_atoms, "cifs/"])  # pandas DataFrame

Structures may be ASE ``Atoms``, pymatgen ``Structure`` (when pymatgen is
installed), jarvis-tools ``Atoms``, CIF/POSCAR paths, folders of CIF/POSCAR
files (an ``id_prop.csv`` is not needed), CSV files with an id and a CIF
column, or any data set name :func:`~crysgnn_zoo.data.sources.open_source`
knows. Every structure gets a row: the prediction in the model's unit, or the
reason it could not be read (never a silent drop). Structures holding elements
the model never saw in training are flagged and warned about.
"""
from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
import pandas as pd
from torch import nn

from crysgnn_zoo.backend import check_device
from crysgnn_zoo.errors import ConfigError
from crysgnn_zoo.data.errors import DisorderError, NoUsableDataError, StructureError
from crysgnn_zoo.data.sources import RawEntry, open_source
from crysgnn_zoo.graphs.build import build_entries
from crysgnn_zoo.hub.checkpoint import Predictor
from crysgnn_zoo.distill.teachers import FOUNDATION_TEACHERS, load_teacher
from crysgnn_zoo.hub.resolve import load_released, resolve_weights

log = logging.getLogger(__name__)

def load_model(name_or_path: str | Path, device: str = "cpu") -> Predictor | nn.Module:
    """The one loader: a released model by name (``crysgnn-zoo models`` lists them) or a
    checkpoint folder, verified against its card (and the release table for released names).

    A property model (its ``config.json`` names a target) comes back as a
    :class:`~crysgnn_zoo.hub.checkpoint.Predictor` for :func:`predict`; a teacher or pre-trained
    encoder (no target: ``crysgnn-v1``, ``crysae-v1``, a ``pretrain`` checkpoint, or a foundation
    model such as ``chgnet-0.3.0``) as its frozen encoder in eval mode (``model.embed(g)``, atom
    embeddings), as :func:`~crysgnn_zoo.distill.teachers.load_teacher` gives it.
    ``load_checkpoint``, ``load_teacher`` and ``load_released`` are the narrower loaders this one calls.
    """
    check_device(device)
    if is_encoder(name_or_path):
        return load_teacher(name_or_path, device)
    return load_released(name_or_path, device)


def is_encoder(name_or_path: str | Path) -> bool:
    """Whether ``name_or_path`` is a teacher or pre-trained encoder rather than a property model."""
    if str(name_or_path) in FOUNDATION_TEACHERS:
        return True
    try:
        config = json.loads((resolve_weights(name_or_path) / "config.json").read_text())
    except (OSError, ValueError):  # unreadable: the loader that follows names the file and the fault
        return False
    return isinstance(config, dict) and "target" in config and config["target"] is None


def _path_entries(path: Path) -> Iterator[RawEntry]:
    yield from open_source(path).entries()


def _ase_payload(atoms, where: str) -> dict:
    occupancy = atoms.info.get("occupancy") or {}
    partial = {site: occ for site, occ in occupancy.items() if any(abs(v - 1.0) > 5e-3 for v in occ.values())}
    if partial:
        raise DisorderError(where, f"disordered structure: ASE occupancies {dict(list(partial.items())[:4])}")
    if not atoms.pbc.all():
        raise StructureError(where, "not a periodic 3D crystal (ASE Atoms with pbc not all True)")
    return {"lattice": atoms.cell.array, "frac_coords": atoms.get_scaled_positions(wrap=False),
            "symbols": atoms.get_chemical_symbols()}


def _pymatgen_payload(structure, where: str) -> dict:
    if not structure.is_ordered:
        sites = [f"site {i} {site.species}" for i, site in enumerate(structure) if not site.is_ordered]
        raise DisorderError(where, f"disordered structure: {'; '.join(sites[:6])}")
    return {"lattice": structure.lattice.matrix, "frac_coords": structure.frac_coords,
            "symbols": [site.specie.symbol for site in structure]}


def _object_entry(obj: Any, index: int) -> RawEntry:
    """An in-memory structure as a raw entry; conversion errors surface when the entry is built."""
    kind = type(obj).__module__.split(".")[0]
    ident = f"structure-{index}"
    where = f"structure {index} ({type(obj).__name__})"
    if kind == "ase":
        return RawEntry(ident, "convert", (_ase_payload, obj), {}, where)
    if kind == "pymatgen":
        return RawEntry(ident, "convert", (_pymatgen_payload, obj), {}, where)
    if kind == "jarvis" and hasattr(obj, "to_dict"):
        return RawEntry(ident, "jarvis", obj.to_dict(), {}, where)
    return RawEntry(ident, "convert", (_not_a_structure, type(obj).__name__), {}, where)


def _not_a_structure(type_name: str, where: str) -> dict:
    raise StructureError(where, f"a {type_name} is not a structure: give ASE Atoms, pymatgen Structure, jarvis "
                                "Atoms, a CIF/POSCAR path, a folder of them, or a CSV with a CIF column")


def structure_entries(structures: Any) -> list[RawEntry]:
    """Raw entries, in input order, for one structure, a path, or a list of them."""
    items = structures if isinstance(structures, (list, tuple)) else [structures]
    entries: list[RawEntry] = []
    for index, item in enumerate(items):
        if isinstance(item, (str, Path)):
            entries.extend(_path_entries(Path(item).expanduser()))
        else:
            entries.append(_object_entry(item, index))
    return entries


def _unseen(store, elements: Iterable[int] | None) -> list[str]:
    """Per crystal of ``store``: the symbols of elements outside ``elements`` (``""`` when none)."""
    from ase.data import chemical_symbols

    if not elements:
        return [""] * len(store)
    seen = set(int(z) for z in elements)
    out = []
    for k in range(len(store)):
        zs = set(store.atomic_numbers[store.node_ptr[k]:store.node_ptr[k + 1]].tolist())
        out.append(" ".join(chemical_symbols[z] for z in sorted(zs - seen)))
    return out


def predict(
    model: Predictor | str | Path,
    structures: Any,
    *,
    batch_size: int = 256,
    device: str = "cpu",
    workers: int = 1,
    progress: bool = False,
    uncertainty: bool = True,
) -> pd.DataFrame:
    """Predictions for ``structures`` (see the module docstring for the kinds accepted).

    Returns:
        One row per structure, in input order: ``id``, ``prediction`` (in ``unit``, inside the
        target's physical range when the model declares one; NaN when the structure could not be
        read), ``unit``, ``error`` (why it could not be read, else ``""``), ``unseen_elements``
        (elements absent from the model's training data) and ``clipped`` (True where the model's
        output fell outside the range and was moved to its edge); for a model with an uncertainty
        model (every release; :mod:`crysgnn_zoo.hub.uncertainty`) and ``uncertainty=True`` also
        ``std`` (one standard deviation, in ``unit``), ``interval_95`` (half-width of the 95 %
        interval, ``prediction +- interval_95``, widths recalibrated on the validation crystals) and
        ``in_domain`` (False: farther from the training crystals than 95 % of the validation
        crystals are). ``attrs``: ``n_isolated`` (atoms
        with no neighbour within the cutoff, joined to their nearest atoms), ``n_clipped``,
        ``range`` (``[min, max]`` or None).

    Raises:
        NoUsableDataError: no structure was given (a structure that cannot be read keeps its row).
        ConfigError: ``model`` is a teacher (no target).
    """
    predictor = model if isinstance(model, (Predictor, nn.Module)) else load_model(model, device)
    if not isinstance(predictor, Predictor):
        name = model if isinstance(model, (str, Path)) else type(model).__name__
        raise ConfigError(f"{name}: a teacher or pre-trained encoder, with no target to predict; "
                          "take its embeddings with crysgnn_zoo.embed (crysgnn-zoo embed)")
    entries = structure_entries(structures)
    if not entries:
        raise NoUsableDataError(str(structures)[:80], "no structures given")
    store, skipped, n_isolated = build_entries(entries, predictor.graph_config, [], workers=workers,
                                               progress=progress, total=len(entries), desc="structures")
    reasons = {s.where: s.reason for s in skipped}
    with_std = uncertainty and predictor.uncertainty is not None
    if len(store):
        values, clipped, std, in_domain = predictor.predict_with_uncertainty(store, batch_size, device) if with_std \
            else (*predictor.predict_in_range(store, batch_size=batch_size, device=device), None, None)
    else:  # every structure keeps its row with the reason, even when none could be read
        values, clipped, std, in_domain = np.zeros(0), np.zeros(0, dtype=bool), np.zeros(0), np.zeros(0, bool)
    unseen = iter(_unseen(store, predictor.card.get("elements")))
    values_iter = iter(zip(values, clipped))
    rows = []
    for entry in entries:
        if entry.where in reasons:
            rows.append((entry.id, np.nan, predictor.unit, reasons[entry.where], "", False))
        else:
            value, was_clipped = next(values_iter)
            rows.append((entry.id, float(value), predictor.unit, "", next(unseen), bool(was_clipped)))
    table = pd.DataFrame(rows, columns=["id", "prediction", "unit", "error", "unseen_elements", "clipped"])
    if with_std:
        read = (table["error"] == "").to_numpy()
        table.insert(2, "std", np.nan)
        table.insert(3, "interval_95", np.nan)
        table.insert(4, "in_domain", pd.array([pd.NA] * len(table), dtype="boolean"))
        table.loc[read, "std"] = std
        table.loc[read, "interval_95"] = predictor.uncertainty.half_width(std, 0.95)
        table.loc[read, "in_domain"] = in_domain
    table.attrs["n_isolated"] = n_isolated  # atoms joined to their nearest atoms (isolated-atom rule)
    table.attrs["cutoff"] = predictor.graph_config.cutoff
    table.attrs["n_clipped"] = int(clipped.sum())
    table.attrs["range"] = predictor.target_range.to_json() if predictor.target_range else None
    flagged = table[table.unseen_elements != ""]
    if len(flagged):
        warnings.warn(f"{len(flagged)} structure(s) hold elements the model never saw in training "
                      f"({' '.join(sorted(set(' '.join(flagged.unseen_elements).split())))}): "
                      "their predictions are extrapolations", stacklevel=2)
    return table
