"""The benchmark protocol: the CrysGNN paper's Table 1 (Das et al., AAAI 2023), how its rows map
to our data, and the profiles (data sizes and budget) our runs use; each student's optimiser
comes from :mod:`crysgnn_zoo.train.recipes`.

Paper MAE, vanilla -> distilled, as published (facts quoted from the paper). Our
numbers are printed beside these, never in their place.
"""
from __future__ import annotations

from dataclasses import dataclass

from crysgnn_zoo.config import TrainConfig
from crysgnn_zoo.train.recipes import recipe

STUDENTS = ("cgcnn", "crysxpp", "gatgnn", "alignn")

# row -> unit, {student: (vanilla MAE, distilled MAE)}
PAPER_TABLE: dict[str, tuple[str, dict[str, tuple[float, float]]]] = {
    "MP formation energy": ("eV/atom", {"cgcnn": (0.039, 0.032), "crysxpp": (0.041, 0.035), "gatgnn": (0.096, 0.091), "alignn": (0.026, 0.024)}),
    "MP band gap": ("eV", {"cgcnn": (0.388, 0.293), "crysxpp": (0.347, 0.287), "gatgnn": (0.427, 0.403), "alignn": (0.271, 0.253)}),
    "JARVIS formation energy": ("eV/atom", {"cgcnn": (0.063, 0.047), "crysxpp": (0.062, 0.048), "gatgnn": (0.132, 0.117), "alignn": (0.036, 0.035)}),
    "JARVIS band gap (OPT)": ("eV", {"cgcnn": (0.200, 0.160), "crysxpp": (0.190, 0.176), "gatgnn": (0.275, 0.235), "alignn": (0.148, 0.131)}),
    "JARVIS total energy": ("eV/atom", {"cgcnn": (0.078, 0.053), "crysxpp": (0.072, 0.055), "gatgnn": (0.194, 0.137), "alignn": (0.039, 0.038)}),
    "JARVIS Ehull": ("eV", {"cgcnn": (0.170, 0.121), "crysxpp": (0.139, 0.114), "gatgnn": (0.241, 0.203), "alignn": (0.091, 0.083)}),
    "JARVIS band gap (MBJ)": ("eV", {"cgcnn": (0.410, 0.340), "crysxpp": (0.378, 0.350), "gatgnn": (0.395, 0.386), "alignn": (0.331, 0.325)}),
    "JARVIS spillage": ("", {"cgcnn": (0.386, 0.374), "crysxpp": (0.363, 0.357), "gatgnn": (0.350, 0.348), "alignn": (0.358, 0.356)}),
    "JARVIS SLME": ("%", {"cgcnn": (5.040, 4.790), "crysxpp": (5.110, 4.630), "gatgnn": (5.050, 4.950), "alignn": (4.650, 4.590)}),
    "JARVIS bulk modulus Kv": ("GPa", {"cgcnn": (12.45, 12.31), "crysxpp": (13.61, 12.70), "gatgnn": (11.64, 11.53), "alignn": (11.20, 10.99)}),
    "JARVIS shear modulus Gv": ("GPa", {"cgcnn": (11.24, 10.87), "crysxpp": (11.20, 10.56), "gatgnn": (10.41, 10.35), "alignn": (9.860, 9.800)}),
}

# The paper's mean relative MAE change per student over its 11 rows (computed from the table above).
def paper_mean_change(student: str) -> float:
    changes = [d / v - 1.0 for _, rows in PAPER_TABLE.values() for s, (v, d) in rows.items() if s == student]
    return sum(changes) / len(changes)


@dataclass(frozen=True)
class RowMap:
    """How one target of one data set relates to a paper row."""

    row: str | None  # a key of PAPER_TABLE, or None
    analog: bool  # True: a stand-in (other database/snapshot), never the paper's row itself


MP_TARGETS = {"formation_energy_per_atom": "MP formation energy", "band_gap": "MP band gap"}
JARVIS_TARGETS = {
    "formation_energy_peratom": "JARVIS formation energy",
    "optb88vdw_bandgap": "JARVIS band gap (OPT)",
    "optb88vdw_total_energy": "JARVIS total energy",
    "ehull": "JARVIS Ehull",
    "mbj_bandgap": "JARVIS band gap (MBJ)",
    "spillage": "JARVIS spillage",
    "slme": "JARVIS SLME",
    "bulk_modulus_kv": "JARVIS bulk modulus Kv",
    "shear_modulus_gv": "JARVIS shear modulus Gv",
}
# dataset.json's paper_row labels -> PAPER_TABLE keys
_CARD_ROWS = {
    "MP formation energy": "MP formation energy",
    "MP band gap": "MP band gap",
    "Ehull": "JARVIS Ehull",
    "Bulk modulus (Kv)": "JARVIS bulk modulus Kv",
    "Shear modulus (Gv)": "JARVIS shear modulus Gv",
}


def row_from_card(card_target: dict) -> RowMap:
    """Paper row named in a ``dataset.json`` target entry (``paper_row``, ``analog``)."""
    label = card_target.get("paper_row")
    if not label:
        return RowMap(None, False)
    return RowMap(_CARD_ROWS.get(label, label), bool(card_target.get("analog", False)))



@dataclass(frozen=True)
class Profile:
    """How much data and training one benchmark run gets.

    ``split``: train/val/test as fractions (sum 1) or counts; counts larger
    than the data set are scaled down in proportion (and the table says so).
    ``max_train`` caps the training set (val/test keep their sizes).
    """

    name: str
    split: tuple[float, float, float]
    epochs: int
    batch_size: int = 64
    max_train: int | None = None
    max_val: int | None = None
    max_test: int | None = None
    patience: int | None = None
    description: str = ""


MP_PAPER_SPLIT = (60000, 5000, 4239)  # MP 2018.6.1 as in the ALIGNN and CrysGNN papers

PROFILES = {
    "paper": Profile(
        "paper", (0.8, 0.1, 0.1), epochs=300, patience=None,
        description="the papers' protocol: MP 60000/5000/4239 (scaled to the file's size), "
                    "JARVIS and other sets 80/10/10, 300 epochs (ALIGNN's budget), batch 64",
    ),
    "quick": Profile(
        "quick", (0.8, 0.1, 0.1), epochs=10, max_train=1000, max_val=250, max_test=500,
        description="sub-sampled: at most 1000 train / 250 val / 500 test crystals, 10 epochs, batch 64",
    ),
}

def train_config(profile: Profile, model: str, seed: int, epochs: int | None = None) -> TrainConfig:
    """The trainer settings for ``model`` under ``profile`` (``epochs`` overrides the profile's)."""
    return TrainConfig(epochs=epochs or profile.epochs, batch_size=profile.batch_size,
                       patience=profile.patience, seed=seed, **recipe(model))
