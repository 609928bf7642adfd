"""Structure sources: where crystals come from, as lazy streams of raw entries.

A :class:`Source` yields :class:`RawEntry` objects (id, structure payload,
targets) without parsing them, so parsing and graph building can run in
worker processes. :func:`open_source` turns one user-facing spec into a source:

- a dataset name (``"mp_37k"``) found under the datasets folder (environment
  variable ``CRYSGNN_ZOO_DATASETS``, else ``../shared/datasets``) or among the
  samples embedded in the package (``"mp_37k_sample"``);
- a single CIF/POSCAR file;
- a folder with ``id_prop.csv`` (the CGCNN/ALIGNN format);
- a CSV (plain or ``.csv.gz``) with an id column and a CIF column;
- a JSON list of JARVIS-DFT records (``jid``, ``atoms``, properties) or of
  MEGNet-style MP records (``material_id``, ``structure`` as CIF, properties);
- ``"jarvis:dft_3d"`` (downloaded with jarvis-tools) and ``"mp:2018.6.1"``
  (MP 2018.6.1 via jarvis-tools' ``megnet`` set), both network paths.
"""
from __future__ import annotations

import csv
import gzip
import hashlib
import json
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pandas as pd

from crysgnn_zoo.data.errors import (
    DuplicateIdError,
    MissingColumnError,
    NoUsableDataError,
    SourceNotFoundError,
    StructureError,
    UnsafePathError,
)
from crysgnn_zoo.data.catalog import missing_words
from crysgnn_zoo.paths import check_name
from crysgnn_zoo.ranges import TargetRange
from crysgnn_zoo.data.structures import NA_WORDS, as_float
from crysgnn_zoo.data.text import open_text

log = logging.getLogger(__name__)
csv.field_size_limit(1 << 30)

DATASETS_ENV = "CRYSGNN_ZOO_DATASETS"
_EMBEDDED_DIR = Path(__file__).resolve().parent / "embedded"


@dataclass(frozen=True)
class RawEntry:
    """One unparsed crystal: ``fmt`` is ``cif``, ``poscar``, ``jarvis`` or ``file``."""

    id: str
    fmt: str
    payload: Any
    targets: dict[str, float]
    where: str
    #: target -> the cell's text, for a cell that holds something but not a finite number
    #: (``'1.2 eV'``, ``'1e400'``); its value in ``targets`` is NaN
    bad_targets: dict[str, str] = field(default_factory=dict)

    def target_problem(self, target: str) -> str:
        """Why this entry has no usable value of ``target``, in words."""
        raw = self.bad_targets.get(target)
        if raw is None:
            return f"target {target!r} is missing or NaN"
        return f"target {target!r} is {raw!r}, not a finite number"


@dataclass
class Source:
    """A named, fingerprinted stream of raw entries.

    Attributes:
        name: short name used in caches and reports (``mp_37k``).
        kind: ``dataset``, ``file``, ``folder``, ``csv``, ``jarvis``, ``mp``.
        files: files whose content makes up the fingerprint.
        targets: target column -> unit (``"eV/atom"``; ``""`` if unknown).
        card: the ``dataset.json`` card, for named datasets.
        ranges: target column -> physical range of its values (cards' ``"range"``; absent: none).
    """

    name: str
    kind: str
    files: list[Path]
    targets: dict[str, str]
    _reader: Callable[[], Iterator[RawEntry]]
    card: dict | None = None
    meta: dict = field(default_factory=dict)
    ranges: dict[str, TargetRange] = field(default_factory=dict)

    def entries(self) -> Iterator[RawEntry]:
        return self._reader()

    def fingerprint(self) -> str:
        """Changes when the content of any file behind the source changes.

        Content, not modification time: a re-synced data set (new mtimes) keeps its graph
        cache; an edited one does not. A folder source also hashes every structure file its
        index names (a file edited, added or deleted changes the key) and its resolved path
        (``meta["location"]``), so another folder with the same name and index is not taken
        for it. Hashing reads every file once (about 1 s per GB).
        """
        h = hashlib.sha256(f"{self.kind}:{self.name}:{self.meta.get('location', '')}".encode())
        for path in sorted(self.files):
            if not path.is_file():
                h.update(f"{path}:missing:".encode())
                continue
            h.update(f"{path.name}:{path.stat().st_size}:".encode())
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
        return h.hexdigest()[:16]

    def unit(self, target: str) -> str:
        return self.targets.get(target, "")

    def range(self, target: str) -> TargetRange | None:
        """The declared physical range of ``target``'s values (``None``: none declared)."""
        return self.ranges.get(target)


# ----------------------------------------------------------------------------- datasets


def dataset_roots() -> list[Path]:
    """Folders searched for named datasets, in order: ``$CRYSGNN_ZOO_DATASETS``, ``shared/datasets``
    beside the project folder (a checkout's ``../shared/datasets``), the embedded sample. The
    current directory plays no part: the same names resolve from anywhere."""
    roots = []
    env = os.environ.get(DATASETS_ENV)
    if env:
        roots.append(Path(env))
    roots.append(Path(__file__).resolve().parents[2].parent / "shared" / "datasets")
    roots.append(_EMBEDDED_DIR)
    seen, unique = set(), []
    for root in roots:
        key = str(root.resolve()) if root.exists() else str(root)
        if key not in seen:
            seen.add(key)
            unique.append(root)
    return unique


def list_datasets(include_embedded: bool = True) -> dict[str, Path]:
    """Every dataset with a ``dataset.json`` card: name -> folder (first root wins)."""
    found: dict[str, Path] = {}
    for root in dataset_roots():
        if not root.is_dir() or (not include_embedded and root == _EMBEDDED_DIR):
            continue
        for card in sorted(root.glob("*/dataset.json")):
            found.setdefault(card.parent.name, card.parent)
    return found


def dataset_source(name: str) -> Source:
    """A dataset from its ``dataset.json`` card, by folder name.

    Raises:
        UnsafePathError: the name is a path (``..``, ``/``), not a name.
        SourceNotFoundError: no data set of that name (the message lists those found and where).
    """
    check_name(name, "data set name")
    available = list_datasets()
    if name not in available:
        import difflib

        near = difflib.get_close_matches(name, list(available), n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        roots = ", ".join(str(r) for r in dataset_roots())
        raise SourceNotFoundError(
            name,
            f"no dataset of that name{hint}; available: {', '.join(sorted(available)) or 'none'}"
            f" (searched {roots}). {missing_words(name, DATASETS_ENV)}",
        )
    return dataset_folder_source(available[name])


def dataset_folder_source(folder: str | Path) -> Source:
    """A dataset folder holding a ``dataset.json`` card."""
    folder = Path(folder)
    name = folder.name
    card = json.loads((folder / "dataset.json").read_text())
    targets = {k: v.get("unit", "") for k, v in card.get("targets", {}).items()}
    ranges = card_ranges(card, folder / "dataset.json")
    fmt = card.get("format")
    files = [_card_file(folder, f) for f in card.get("files", [])]
    if fmt == "csv-cif":
        id_col = card.get("id_column", "material_id")
        cif_col = card.get("structure_column", "cif")

        def read() -> Iterator[RawEntry]:
            for path in files:
                yield from _csv_cif_rows(path, id_col, cif_col, list(targets))

    elif fmt == "poscar-folder":
        index = folder / card.get("files", ["id_prop.csv"])[0]
        files = [*files, *(path for _, _, path in _id_prop_paths(index))]

        def read() -> Iterator[RawEntry]:
            yield from _id_prop_rows(index, list(targets))

    else:
        raise SourceNotFoundError(str(folder / "dataset.json"), f"unsupported format {fmt!r}")
    return Source(name, "dataset", files, targets, read, card=card, ranges=ranges)


def _card_file(folder: Path, name: str) -> Path:
    """A file a ``dataset.json`` card lists: a regular file inside the folder (the rule of
    ``id_prop.csv`` rows), never followed out by ``..``, an absolute path or a link.

    Raises:
        UnsafePathError: it lies outside the folder or is not a regular file.
        SourceNotFoundError: it is missing.
    """
    where = f"{folder / 'dataset.json'} (files)"
    path = _structure_path(folder, str(name), where)
    if not path.exists():
        raise SourceNotFoundError(str(path), f"listed in {folder / 'dataset.json'} but missing")
    if not path.is_file():
        raise UnsafePathError(where, f"{name!r} is not a regular file")
    return path


def card_ranges(card: dict, where: Path | str) -> dict[str, TargetRange]:
    """Target -> range, for every target of a ``dataset.json`` card that declares one.

    Raises:
        ConfigError: a malformed ``"range"`` (naming the card and the target).
    """
    out = {}
    for target, spec in card.get("targets", {}).items():
        rng = TargetRange.from_json(spec.get("range"), f"{where}: target {target!r}")
        if rng is not None:
            out[target] = rng
    return out


#: Ranges of the targets of the MP and JARVIS-DFT record files, which carry no card.
RECORD_RANGES = {key: TargetRange(0.0, None) for key in (
    "band_gap", "optb88vdw_bandgap", "mbj_bandgap", "hse_gap", "bulk_modulus_kv", "shear_modulus_gv", "ehull",
    "e_above_hull")}


# ----------------------------------------------------------------------------- tables


def _csv_cif_rows(
    path: Path, id_col: str, cif_col: str, target_cols: list[str], chunk_rows: int = 2048
) -> Iterator[RawEntry]:
    """Rows of a CSV with an id and a CIF column, read with pandas in chunks (every value as
    text: ids keep their leading zeros, targets go through :func:`as_float`)."""
    with open_text(path) as fh:
        chunks = pd.read_csv(fh, dtype=str, keep_default_na=False, chunksize=chunk_rows)
        row_no, seen = 2, {}
        for k, chunk in enumerate(chunks):
            if k == 0:
                missing = [c for c in [id_col, cif_col, *target_cols] if c not in chunk.columns]
                if missing:
                    raise MissingColumnError(str(path), f"missing column(s) {missing}; the file has {list(chunk.columns)}")
            for row in chunk.to_dict("records"):
                ident = row[id_col]
                if ident in seen:
                    raise DuplicateIdError(str(path), f"rows {seen[ident]} and {row_no} both have id {ident!r}; "
                                                      "ids must be unique")
                seen[ident] = row_no
                values, bad = _targets((col, row[col]) for col in target_cols)
                yield RawEntry(ident, "cif", row[cif_col], values, f"{path.name} row {row_no} (id {ident})", bad)
                row_no += 1


def _number(raw: str) -> float:
    try:
        value = as_float(raw)
    except ValueError:
        return math.nan
    return value if math.isfinite(value) or math.isnan(value) else math.nan  # '1e400' overflows to inf


def _targets(cells: Iterable[tuple[str, Any]]) -> tuple[dict[str, float], dict[str, str]]:
    """``(values, bad)`` of ``(column, cell)`` pairs: a cell that holds text but no finite number
    is NaN in ``values`` and its text is kept in ``bad`` (so a skip can name it)."""
    values, bad = {}, {}
    for col, raw in cells:
        values[col] = _number(raw)
        if math.isnan(values[col]) and not _is_na(raw):
            bad[col] = str(raw).strip()
    return values, bad


def _is_na(raw: Any) -> bool:
    return raw is None or (isinstance(raw, float) and math.isnan(raw)) or \
        str(raw).strip().lower() in NA_WORDS


STRUCTURE_SUFFIXES = (".cif", ".vasp", ".poscar")


def _index_rows(index: Path) -> Iterator[tuple[int, list[str]]]:
    with open_text(index) as fh:
        for row_no, row in enumerate(csv.reader(fh), start=1):
            if row and row[0].strip():
                yield row_no, row


def _structure_path(folder: Path, name: str, where: str) -> Path:
    """The file an index row names (``name``, else ``name`` + .cif/.vasp/.poscar), checked to lie
    inside ``folder`` once links are followed.

    Raises:
        UnsafePathError: the name is absolute or resolves outside the folder (``..``, a link out).
    """
    path = folder / name
    if not path.exists():
        path = next((folder / f"{name}{ext}" for ext in STRUCTURE_SUFFIXES if (folder / f"{name}{ext}").exists()), path)
    root = folder.resolve()
    if Path(name).is_absolute() or not path.resolve().is_relative_to(root):
        raise UnsafePathError(where, f"{name!r} resolves to {path.resolve()}, outside the source folder {root}; "
                                     "structure files must lie inside it")
    return path


def _id_prop_paths(index: Path) -> list[tuple[int, str, Path]]:
    """``(row number, name, path)`` of every row of an ``id_prop.csv``, every path checked
    (:func:`_structure_path`) and every name unique before any file is read.

    Raises:
        UnsafePathError: a row names a file outside the folder.
        DuplicateIdError: two rows name the same crystal.
    """
    rows, seen, files = [], {}, {}
    for row_no, row in _index_rows(index):
        name = row[0].strip()
        path = _structure_path(index.parent, name, f"{index} row {row_no} ({name})")
        ident = structure_stem(path) if is_structure_file(path) else name
        if ident in seen:
            raise DuplicateIdError(str(index), f"rows {seen[ident]} and {row_no} both name crystal {ident!r}; "
                                               "ids must be unique")
        seen[ident] = row_no
        real = path.resolve()
        if real in files and path.exists():
            raise DuplicateIdError(str(index), f"rows {files[real]} and {row_no} name the same file ({real.name}) "
                                               "under two ids; one crystal would count twice")
        files[real] = row_no
        rows.append((row_no, name, path))
    return rows


def _id_prop_rows(index: Path, target_names: list[str] | None) -> Iterator[RawEntry]:
    """CGCNN/ALIGNN ``id_prop.csv``: ``file_or_id, target[, target...]`` without header."""
    rows = dict(_index_rows(index))
    for row_no, name, path in _id_prop_paths(index):
        values = rows[row_no][1:]
        names = target_names or (["target"] if len(values) == 1 else [f"target_{i}" for i in range(len(values))])
        targets, bad = _targets(zip(names, values))
        ident = structure_stem(path) if is_structure_file(path) else name
        yield RawEntry(ident, "file", str(path), targets, f"{index.name} row {row_no} ({name})", bad)


def _id_prop_targets(index: Path) -> dict[str, str]:
    with open_text(index) as fh:
        for row in csv.reader(fh):
            if row:
                n = len(row) - 1
                names = ["target"] if n == 1 else [f"target_{i}" for i in range(n)]
                return {k: "" for k in names}
    return {}


STRUCTURE_NAMES = ("POSCAR", "CONTCAR")


def is_structure_file(path: Path) -> bool:
    """A CIF/POSCAR by name: ``.cif``, ``.vasp``, ``.poscar`` (any case, also gzipped: ``.cif.gz``),
    ``POSCAR*``, ``CONTCAR*``."""
    name = path.name.lower().removesuffix(".gz")
    return Path(name).suffix in STRUCTURE_SUFFIXES or path.name.startswith(STRUCTURE_NAMES)


def structure_stem(path: Path) -> str:
    """A structure file's id: its name without the format suffix (``a.cif.gz`` -> ``a``)."""
    name = path.name.removesuffix(".gz").removesuffix(".GZ")
    return Path(name).stem


def _same_files(files: list[Path]) -> tuple[Path, Path] | None:
    """Two of ``files`` that are one file on disk (a link to another), else None."""
    first: dict[Path, Path] = {}
    for path in files:
        real = path.resolve()
        if real in first:
            return first[real], path
        first[real] = path
    return None


def structure_folder_source(folder: str | Path) -> Source:
    """A plain folder of CIF/POSCAR files (no index, no targets), in name order.

    Each crystal's id is its file's stem; where two files share a stem (``a.cif``, ``a.vasp``),
    both are named by their whole file name, so no two rows share an id.

    Raises:
        NoUsableDataError: the folder holds no structure file.
        UnsafePathError: a file is a link that resolves outside the folder.
        DuplicateIdError: two names are one file (a link to another file of the folder).
    """
    folder = Path(folder)
    files = sorted(p for p in folder.iterdir() if p.is_file() and is_structure_file(p))
    if not files:
        raise NoUsableDataError(str(folder), f"no CIF/POSCAR files ({', '.join(STRUCTURE_SUFFIXES)}, also .gz) "
                                             "in this folder")
    root = folder.resolve()
    outside = [p for p in files if not p.resolve().is_relative_to(root)]
    if outside:  # checked before any file is read, as for id_prop.csv rows
        raise UnsafePathError(str(outside[0]), f"a link to {outside[0].resolve()}, outside the folder {root} "
                                               f"({len(outside)} such file(s)); structure files must lie inside it")
    same = _same_files(files)
    if same:
        raise DuplicateIdError(str(folder), f"{same[0].name} and {same[1].name} are the same file (a link); one "
                                            "crystal would count twice under two ids: remove one of them")
    stems = [structure_stem(p) for p in files]
    ids = [p.name if stems.count(stem) > 1 else stem for p, stem in zip(files, stems)]

    def read() -> Iterator[RawEntry]:
        for ident, path in zip(ids, files):
            yield RawEntry(ident, "file", str(path), {}, str(path))

    return Source(folder.name, "folder", files, {}, read, meta={"location": str(folder.resolve())})


def folder_source(folder: str | Path) -> Source:
    """A folder of CIF/POSCAR files with an ``id_prop.csv`` index, or without one a plain folder
    of structures (:func:`structure_folder_source`)."""
    folder = Path(folder)
    index = folder / "id_prop.csv"
    if not index.exists():
        return structure_folder_source(folder)
    targets = _id_prop_targets(index)
    files = [index, *(path for _, _, path in _id_prop_paths(index))]
    return Source(folder.name, "folder", files, targets, lambda: _id_prop_rows(index, None),
                  meta={"location": str(folder.resolve())})


ID_COLUMNS = ("material_id", "id", "jid", "name")
CIF_COLUMNS = ("cif", "structure", "atoms")


def csv_source(path: str | Path, id_column: str | None = None, cif_column: str | None = None) -> Source:
    """A CSV (or .csv.gz) with an id column, a CIF column and numeric target columns.

    The one CSV format of every verb (train, predict, check, embed): the id column is the first
    of :data:`ID_COLUMNS` in the header (``material_id``, ``id``, ``jid``, ``name``), the CIF
    column the first of :data:`CIF_COLUMNS` (``cif``, ``structure``, ``atoms``), unless named;
    every other column is a target.

    Raises:
        MissingColumnError: no id or no CIF column, listing the accepted names and the header.
    """
    path = Path(path)
    with open_text(path) as fh:
        header = next(csv.reader(fh), [])
    id_column = id_column or next((c for c in ID_COLUMNS if c in header), None)
    cif_column = cif_column or next((c for c in CIF_COLUMNS if c in header), None)
    for col, kind, names in ((id_column, "id", ID_COLUMNS), (cif_column, "CIF", CIF_COLUMNS)):
        if col not in header:
            raise MissingColumnError(str(path), f"no {kind} column: name one of {', '.join(names)}; "
                                                f"the file has {header}")
    with open_text(path) as fh:  # before any structure is read: a repeated id is an error now, not midway
        ids = pd.read_csv(fh, dtype=str, keep_default_na=False, usecols=[id_column])[id_column]
    repeated = ids[ids.duplicated(keep=False)]
    if len(repeated):
        rows = [int(i) + 2 for i in repeated.index[:2]]
        raise DuplicateIdError(str(path), f"rows {rows[0]} and {rows[1]} both have id {repeated.iloc[0]!r} "
                                          f"({repeated.nunique()} repeated id(s)); ids must be unique")
    targets = {c: "" for c in header if c not in (id_column, cif_column) and c}
    return Source(
        path.name.split(".")[0],
        "csv",
        [path],
        targets,
        lambda: _csv_cif_rows(path, id_column, cif_column, list(targets)),
    )


def file_source(path: str | Path) -> Source:
    """A single CIF or POSCAR file, perhaps gzipped (no targets)."""
    path = Path(path)
    if not path.is_file():
        raise SourceNotFoundError(str(path), "no such file")
    ident = structure_stem(path)

    def read() -> Iterator[RawEntry]:
        yield RawEntry(ident, "file", str(path), {}, str(path))

    return Source(ident, "file", [path], {}, read)


# ----------------------------------------------------------------------------- JSON records


def _json_records(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    if path.suffix == ".zip":
        import zipfile

        with zipfile.ZipFile(path) as zf:
            member = next(n for n in zf.namelist() if n.endswith(".json"))
            return json.loads(zf.read(member))
    with opener(path, "rt") as fh:
        data = json.load(fh)
    if isinstance(data, dict):  # MEGNet's json is a list; tolerate {"data": [...]}
        data = data.get("data", list(data.values()))
    return data


def _numeric_fields(record: dict, skip: set[str]) -> dict[str, float]:
    out = {}
    for key, value in record.items():
        if key in skip:
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = float(value)
        elif isinstance(value, str) and value.strip().lower() in NA_WORDS:
            out[key] = math.nan
    return out


def jarvis_records_source(records: list[dict], name: str, files: list[Path]) -> Source:
    """JARVIS-DFT style records: ``jid``, ``atoms`` (``Atoms.to_dict()``), properties."""
    targets: dict[str, str] = {}
    for rec in records[:200]:
        targets.update({k: "" for k in _numeric_fields(rec, {"jid", "atoms"})})

    def read() -> Iterator[RawEntry]:
        for i, rec in enumerate(records):
            ident = str(rec.get("jid", rec.get("id", i)))
            where = f"{name} record {i} (jid {ident})"
            if "atoms" not in rec:
                yield RawEntry(ident, "jarvis", None, {}, where)
                continue
            vals = _numeric_fields(rec, {"jid", "atoms"})
            yield RawEntry(ident, "jarvis", rec["atoms"], vals, where)

    return Source(name, "jarvis", files, targets, read,
                  ranges={k: r for k, r in RECORD_RANGES.items() if k in targets})


def mp_records_source(records: list[dict], name: str, files: list[Path]) -> Source:
    """MEGNet-format MP records: ``material_id``, ``structure`` (CIF text), properties."""
    targets: dict[str, str] = {}
    for rec in records[:200]:
        targets.update({k: "" for k in _numeric_fields(rec, {"material_id", "structure"})})
    for known, unit in (("formation_energy_per_atom", "eV/atom"), ("band_gap", "eV")):
        if known in targets:
            targets[known] = unit

    def read() -> Iterator[RawEntry]:
        for i, rec in enumerate(records):
            ident = str(rec.get("material_id", i))
            where = f"{name} record {i} ({ident})"
            vals = _numeric_fields(rec, {"material_id", "structure"})
            yield RawEntry(ident, "cif", rec.get("structure", ""), vals, where)

    return Source(name, "mp", files, targets, read, ranges={k: r for k, r in RECORD_RANGES.items() if k in targets})


def json_source(path: str | Path) -> Source:
    """A local JSON (or .json.gz/.zip) of JARVIS-DFT or MEGNet-style MP records."""
    path = Path(path)
    records = _json_records(path)
    if not records:
        raise StructureError(str(path), "the JSON holds no records")
    first = records[0]
    name = path.name.split(".")[0]
    if "atoms" in first:
        return jarvis_records_source(records, name, [path])
    if "structure" in first:
        return mp_records_source(records, name, [path])
    raise StructureError(
        str(path), f"unrecognised record format (keys {sorted(first)[:8]}); "
        "expected JARVIS ('jid', 'atoms') or MEGNet MP ('material_id', 'structure')"
    )


def jarvis_source(dataset: str = "dft_3d", path: str | Path | None = None) -> Source:
    """JARVIS-DFT through jarvis-tools (downloads from figshare into its cache),
    or a local JSON of the same records when ``path`` is given."""
    if path is not None:
        return json_source(path)
    from jarvis.db.figshare import data as jarvis_data

    try:
        records = jarvis_data(dataset)
    except Exception as exc:  # noqa: BLE001 - network errors come in many types
        raise SourceNotFoundError(
            f"jarvis:{dataset}",
            f"jarvis-tools could not fetch it ({type(exc).__name__}: {exc}); "
            "pass a local copy of the dft_3d JSON instead",
        ) from None
    return jarvis_records_source(records, dataset, [])


def mp_source(path: str | Path | None = None) -> Source:
    """Materials Project 2018.6.1 (69,239 crystals, as used by MEGNet/ALIGNN/CrysGNN).

    With ``path``: a local MEGNet-format JSON (``material_id``, ``structure``
    CIF, ``formation_energy_per_atom``, ``band_gap``) or a URL to one.
    Without: jarvis-tools' ``megnet`` set (the same snapshot) is downloaded.
    """
    if path is not None and str(path).startswith(("http://", "https://")):
        from crysgnn_zoo.download import download

        path = download(str(path))
    if path is not None:
        if not Path(path).exists():
            raise SourceNotFoundError(str(path), "no such file: the MEGNet-format MP 2018.6.1 JSON (mp.2018.6.1.json, "
                                                 "from the MEGNet authors' figshare), a URL to it, or `mp:` to fetch "
                                                 "jarvis-tools' copy")
        return json_source(path)
    from jarvis.db.figshare import data as jarvis_data

    try:
        records = jarvis_data("megnet")
    except Exception as exc:  # noqa: BLE001
        raise SourceNotFoundError(
            "mp:2018.6.1",
            f"jarvis-tools could not fetch the 'megnet' set ({type(exc).__name__}: {exc}); "
            "pass a local MP 2018.6.1 JSON instead",
        ) from None
    return jarvis_records_source(records, "mp_2018_6_1", [])


# ----------------------------------------------------------------------------- dispatch


def open_source(spec: str | Path) -> Source:
    """One user-facing spec -> a :class:`Source` (see the module docstring)."""
    text = str(spec)
    if text.startswith("jarvis:"):
        return jarvis_source(text.split(":", 1)[1] or "dft_3d")
    if text.startswith("mp:"):
        return mp_source()
    path = Path(text).expanduser()
    if path.is_dir():
        if (path / "dataset.json").exists():
            return dataset_folder_source(path)
        return folder_source(path)
    if path.is_file():
        lowered = path.name.lower()
        if lowered.endswith((".csv", ".csv.gz")):
            return csv_source(path)
        if lowered.endswith((".json", ".json.gz", ".json.zip", ".zip")):
            return json_source(path)
        return file_source(path)
    if os.sep in text or text.endswith((".cif", ".csv", ".json", ".vasp")):
        raise SourceNotFoundError(text, "no such file or folder")
    return dataset_source(text)
