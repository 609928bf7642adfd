"""Draw the package's embedded sample from ../shared/datasets/mp_37k.

Rows are chosen by ``numpy.random.default_rng(SEED).choice(n_rows, N, replace=False)``
over the file order of mp_37k.csv.gz, then written in ascending row order with
the same columns. Run from the repository root:

    python scripts/make_embedded_sample.py
"""
from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import numpy as np

SEED = 0
N = 1000
ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT.parent / "shared" / "datasets" / "mp_37k"
DEST = ROOT / "crysgnn_zoo" / "data" / "embedded" / "mp_37k_sample"


def main() -> None:
    csv.field_size_limit(1 << 30)
    with gzip.open(SRC / "mp_37k.csv.gz", "rt", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    chosen = np.sort(np.random.default_rng(SEED).choice(len(rows), N, replace=False))
    DEST.mkdir(parents=True, exist_ok=True)
    # mtime=0 keeps the gzip bytes reproducible
    with open(DEST / "mp_37k_sample.csv.gz", "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            with open_text(gz) as out:
                writer = csv.writer(out)
                writer.writerow(header)
                writer.writerows(rows[i] for i in chosen)
    card = json.loads((SRC / "dataset.json").read_text())
    card.update(
        name="mp_37k_sample",
        files=["mp_37k_sample.csv.gz"],
        sample_of="mp_37k",
        how_drawn=(
            f"{N} of {len(rows)} rows of mp_37k.csv.gz chosen with "
            f"numpy.random.default_rng({SEED}).choice({len(rows)}, {N}, replace=False), "
            "kept in file order; scripts/make_embedded_sample.py"
        ),
    )
    (DEST / "dataset.json").write_text(json.dumps(card, indent=2) + "\n")
    print(f"wrote {N} crystals to {DEST}")


def open_text(binary):
    import io

    return io.TextIOWrapper(binary, encoding="utf-8", newline="")


if __name__ == "__main__":
    main()
