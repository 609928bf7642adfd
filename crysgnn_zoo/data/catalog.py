"""The public data sets the benchmarks and releases name, what each is and how a user gets it.

A named data set is a folder ``<name>/`` holding a ``dataset.json`` card (files, format, id and
structure columns, targets with units) and its files, found under ``$CRYSGNN_ZOO_DATASETS`` or a
``shared/datasets`` folder beside the checkout (:func:`crysgnn_zoo.data.sources.dataset_roots`).
Only ``mp_37k_sample`` ships inside the package; the others are public and are obtained as below.
"""
from __future__ import annotations

#: name -> (what it is, how to get it)
KNOWN_DATASETS: dict[str, tuple[str, str]] = {
    "mp_37k": ("36,737 Materials Project crystals (CC BY 4.0): formation energy, band gap, Fermi energy, "
               "magnetisation (the CrysXPP set)",
               "structures from the CrysXPP repository's data/ folder (kdmsit/crysxpp), properties from "
               "kdmsit/MEGNet data/id_prop.csv; or export your own MP crystals as a CSV (material_id, cif, targets)"),
    "mp_elastic": ("3,274 MP crystals with VRH bulk and shear moduli (de Jong et al., Sci. Data 2, 150009 (2015))",
                   "matminer's elastic_tensor_2015 data set (`pip install matminer`, "
                   "matminer.datasets.load_dataset('elastic_tensor_2015'))"),
    "mp_ehull": ("3,938 MP crystals with energy above hull (Faber et al., Int. J. Quantum Chem. 115, 1094 (2015))",
                 "matminer's flla data set (matminer.datasets.load_dataset('flla'))"),
    "perov_5": ("cubic perovskites with heats of formation and band gaps (Castelli et al., 2012)",
                "the CDVAE repository's data/perov_5 folder (MIT licence)"),
    "carbon_24": ("carbon allotropes with energies per atom (Pickard, AIRSS, 2020)",
                  "the CDVAE repository's data/carbon_24 folder (MIT licence)"),
    "jarvis_sample": ("50 JARVIS-DFT crystals with OptB88vdW band gaps (ALIGNN's sample data)",
                      "ALIGNN's examples/sample_data; the full set: `--dataset jarvis` downloads dft_3d "
                      "through jarvis-tools where the internet is reachable"),
    "mp_expt_hf": ("1,207 measured formation enthalpies (298 K) with the MP structure of each crystal",
                   "pymatgen ships the measurements (pymatgen/analysis/compatibility/exp_compounds.json.gz, "
                   "with MP ids); join them with MP structures by id"),
}


def how_to_get(name: str) -> str:
    """One sentence on data set ``name``: what it is and where it comes from ("" if unknown)."""
    if name not in KNOWN_DATASETS:
        return ""
    what, where = KNOWN_DATASETS[name]
    return f"{name} is {what}; get it from {where}, as a folder {name}/ with a dataset.json card"


def missing_words(name: str, env: str) -> str:
    """What a "no data set of that name" error adds: how to get a known set, and where sets are looked for."""
    known = how_to_get(name)
    return (f"{known}. " if known else "") + (
        f"Put data set folders (each with its dataset.json card) in a folder and set {env} to it; "
        "or pass a CSV file or a folder path instead of a name")
