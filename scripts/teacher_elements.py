"""List the elements a released teacher saw in pre-training, in its card (``elements``).

    CRYSGNN_ZOO_DATASETS=../shared/datasets python scripts/teacher_elements.py crysgnn-v1 crysgnn-v2 crysae-v1

A teacher's pre-training pool is every structure of the data sets its card names
(``data.sources``), de-duplicated by reduced formula + space group + volume: removing a duplicate
never removes an element (its formula stays in the pool), so the pool's elements are the union of
the sources' elements. The union is checked against the count the card recorded at release
(``data.elements``) and written as the card's ``elements`` list (atomic numbers), which
``train --distill`` compares with the training data's elements (crysgnn_zoo.distill.teachers).
Cards of new teachers get the list from ``scripts/release_teacher.py`` directly.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "models" / "crysgnn_zoo_weights"


def pool_elements(sources: list[str]) -> list[int]:
    """Sorted atomic numbers of every crystal of the named data sets (graphs from the cache)."""
    from crysgnn_zoo.data.sources import dataset_source
    from crysgnn_zoo.graphs.build import build_store

    seen: set[int] = set()
    for name in sources:
        seen.update(build_store(dataset_source(name), progress=False).store.elements())
    return sorted(seen)


def update(name: str) -> list[int]:
    """Write ``elements`` into teacher ``name``'s card, re-pack its archive and record its hash;
    refuses a union that disagrees with the card."""
    from crysgnn_zoo.hub.release import RELEASE_TABLE, pack, record

    path = WEIGHTS / name / "card.json"
    card = json.loads(path.read_text())
    elements = pool_elements(card["data"]["sources"])
    if len(elements) != card["data"]["elements"]:
        raise SystemExit(f"{name}: the sources hold {len(elements)} elements, the card recorded "
                         f"{card['data']['elements']} at release; the data sets changed since")
    card["elements"] = elements
    path.write_text(json.dumps(card, indent=1))
    archive = pack(path.parent, name, ROOT / "dist" / f"{name}.tar.gz")
    record(name, archive, card["sha256"], RELEASE_TABLE, config_sha256=card["config_sha256"])
    return elements


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="+", help="released teachers (folders of models/crysgnn_zoo_weights)")
    for name in parser.parse_args(argv).names:
        print(f"{name}: {len(update(name))} elements")


if __name__ == "__main__":
    main()
