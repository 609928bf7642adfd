"""Curate an untagged pre-training set: ingest, validate, fingerprint, de-duplicate, shard.

Two phases, so a cluster job array can do the expensive part:

1. ``curate(specs, out, shard=(i, n))``: the entries of all sources, in order,
   are cut into blocks of ``block_size``; job ``i`` of ``n`` parses, validates,
   fingerprints (reduced formula, spglib space group via jarvis-tools, volume
   per atom) and graphs blocks ``i, i + n, i + 2n, ...`` with a process pool,
   writing each block as it finishes (``block-00007.npz`` + ``.json``). Memory
   is bounded by one block; a re-run skips finished blocks (resume).
2. ``finalize(out)``: once every block exists, de-duplicates across all of them
   (same reduced formula, same space group, volume per atom within
   ``volume_tolerance`` and similar neighbour-distance histograms; the first
   occurrence wins, in source order), and
   writes ``manifest.json`` (counts, element histogram, size distribution,
   per-source tallies, skip reasons) and ``keep.npz``.

:func:`load_curated` returns the kept graphs as one :class:`GraphStore` whose
``targets`` hold ``spacegroup`` and ``crystal_system`` (structure labels for
the graph-level objective; property labels are never read).
"""
from __future__ import annotations

import collections
import dataclasses
import itertools
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

import numpy as np
from crysgnn_zoo.progress import bar as progress_bar

from crysgnn_zoo.config import GraphConfig, JsonConfig
from crysgnn_zoo.data.errors import CrystalDataError, Skipped
from crysgnn_zoo.data.structures import parse_structure
from crysgnn_zoo.data.sources import RawEntry, open_source
from crysgnn_zoo.errors import ConfigError
from crysgnn_zoo.graphs.build import _pool, build_one
from crysgnn_zoo.graphs.shards import ShardFolder
from crysgnn_zoo.graphs.store import GraphStore
from crysgnn_zoo.smoke import SMOKE_CRYSTALS, smoke

if TYPE_CHECKING:
    from jarvis.core.atoms import Atoms as JarvisAtoms


log = logging.getLogger(__name__)

CRYSTAL_SYSTEMS = ("triclinic", "monoclinic", "orthorhombic", "tetragonal", "trigonal", "hexagonal", "cubic")
_SYSTEM_ENDS = (2, 15, 74, 142, 167, 194, 230)


def crystal_system_of(spacegroup: int) -> int:
    """Index into :data:`CRYSTAL_SYSTEMS` of space group 1..230."""
    for k, end in enumerate(_SYSTEM_ENDS):
        if spacegroup <= end:
            return k
    raise ConfigError(f"space group {spacegroup} is not in 1..230")


@dataclass(frozen=True)
class CurateConfig(JsonConfig):
    """Curation settings.

    Attributes:
        symprec: spglib symmetry tolerance, Angstrom (0.1 as Materials Project uses).
        volume_tolerance: relative difference in volume per atom under which two
            crystals with the same reduced formula and space group may be duplicates.
        rdf_tolerance: ... and the L1 distance between their normalised
            histograms of neighbour distances (the graph's edges, ``rdf_bin``
            Angstrom bins) must be at most this (0 = identical, 2 = disjoint).
            Measured here: the same MP crystal read from two sets differs by
            median 0.000, 95th percentile 0.152; formula + space group + volume
            alone merged 3,858 of 4,062 AIRSS carbon structures.
        block_size: entries per block (the unit of sharding, resume and memory).
        substitute_threshold: add synthetic crystals, data-mined ion substitutions of the real ones
            with at least this probability (:mod:`crysgnn_zoo.pretrain.substitute`, e.g. 0.001;
            None: real crystals only). They come after every real crystal, so de-duplication keeps
            the real one.
        substitute_max_per_parent: at most this many substituted children per real crystal, most
            probable first.
    """

    symprec: float = 0.1
    volume_tolerance: float = 0.02
    rdf_tolerance: float = 0.2
    rdf_bin: float = 0.1
    block_size: int = 2048
    substitute_threshold: float | None = None
    substitute_max_per_parent: int = 10


def fingerprint(atoms: JarvisAtoms, symprec: float = 0.1) -> tuple[str, int, float]:
    """(reduced formula, space group number, volume per atom in Angstrom^3)."""
    from jarvis.analysis.structure.spacegroup import Spacegroup3D

    try:
        sg = int(Spacegroup3D(atoms, symprec=symprec).space_group_number)
    except Exception:  # noqa: BLE001 - spglib fails on some odd cells: treat as P1
        sg = 1
    return atoms.composition.reduced_formula, sg, float(atoms.volume) / atoms.num_atoms


def _expanded(entries, config: CurateConfig, skipped: list, synthetic: list):
    """``(source name, entry)`` of a block with every ``substituted-`` parent replaced by its children
    (their parent, substitution and probability appended to ``synthetic``)."""
    from crysgnn_zoo.pretrain.substitute import substitutions

    for source_name, entry in entries:
        if not source_name.startswith(SUBSTITUTED):
            yield source_name, entry
            continue
        try:
            atoms = parse_structure(entry.fmt, entry.payload, entry.where)
            children = list(substitutions(atoms, entry.id, config.substitute_threshold,
                                          config.substitute_max_per_parent))
        except CrystalDataError as exc:
            skipped.append(Skipped(f"{source_name}: {exc.where}", exc.reason))
            continue
        for child in children:
            synthetic.append({"id": child.entry.id, "parent": child.parent, "substitution": child.substitution,
                              "probability": child.probability})
            yield source_name, child.entry


def _curate_block(args):
    entries, graph_config, config = args
    ids, zs, lats, nls, skipped, synthetic = [], [], [], [], [], []
    formulas, sources, sgs, vpas = [], [], [], []
    for source_name, entry in _expanded(entries, config, skipped, synthetic):
        try:
            atoms, nl = build_one(entry, graph_config)
            formula, sg, vpa = fingerprint(atoms, config.symprec)
        except CrystalDataError as exc:
            skipped.append(Skipped(f"{source_name}: {exc.where}", exc.reason))
            continue
        except Exception as exc:  # noqa: BLE001 - one bad crystal never stops a long job
            skipped.append(Skipped(f"{source_name}: {entry.where}", f"unexpected {type(exc).__name__}: {exc}"))
            continue
        ids.append(entry.id)
        zs.append(np.asarray(atoms.atomic_numbers, dtype=np.uint8))
        lats.append(np.asarray(atoms.lattice_mat))
        nls.append(nl)
        formulas.append(formula)
        sources.append(source_name)
        sgs.append(sg)
        vpas.append(vpa)
    store = GraphStore.from_graphs(ids, zs, lats, nls, {
        "spacegroup": sgs,
        "crystal_system": [crystal_system_of(s) for s in sgs],
        "volume_per_atom": vpas,
    })
    kept = set(ids)
    return store, formulas, sources, skipped, [s for s in synthetic if s["id"] in kept]


#: Source-name prefix of the entries whose substituted children are curated (after every real one).
SUBSTITUTED = "substituted-"


def _stream(specs: list[str], substitute: bool = False) -> Iterator[tuple[str, RawEntry]]:
    """Every entry of every source, labels dropped (under smoke mode the first 64 of each); with
    ``substitute``, then every entry again as the parent of its substituted children."""
    for prefix in ("", SUBSTITUTED) if substitute else ("",):
        for spec in specs:
            source = open_source(spec)
            entries = itertools.islice(source.entries(), SMOKE_CRYSTALS) if smoke() else source.entries()
            for entry in entries:
                yield prefix + source.name, dataclasses.replace(entry, targets={})  # labels are never used


@dataclass
class CurateResult:
    out_dir: Path
    blocks_done: int
    blocks_total: int
    seconds: float
    processed: int
    manifest: dict | None


def curate(
    specs: list[str],
    out_dir: str | Path,
    graph_config: GraphConfig | None = None,
    config: CurateConfig | None = None,
    *,
    shard: tuple[int, int] = (0, 1),
    workers: int = 1,
    progress: bool = True,
    finalize_when_done: bool = True,
) -> CurateResult:
    """Phase 1 for job ``shard = (i, n)``; runs :func:`finalize` when all blocks exist.

    Raises:
        ValueError: ``out_dir`` was started with other sources or settings.
    """
    graph_config = graph_config or GraphConfig()
    config = config or CurateConfig()
    i, n = shard
    if not 0 <= i < n:
        raise ConfigError(f"shard must be i/n with 0 <= i < n, got {i}/{n}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    settings = {"sources": list(specs), "graph_config": graph_config.to_dict(), "curate_config": config.to_dict()}
    settings_path = out / "settings.json"
    if settings_path.exists():
        old = json.loads(settings_path.read_text())
        old["curate_config"] = {**CurateConfig().to_dict(), **old.get("curate_config", {})}  # fields added since
        if old != settings:
            raise ConfigError(f"{out} was started with other settings: {old}; use a new folder")
    else:
        settings_path.write_text(json.dumps(settings, indent=1))

    start = time.perf_counter()
    processed, done, total = 0, 0, 0
    blocks = ShardFolder(out, "block")
    bar = progress_bar(desc=f"curate {i}/{n}", unit="crystal", disable=not progress)
    pool = _pool(workers) if workers > 1 else None
    try:
        for k, block in enumerate(_blocks(_stream(specs, config.substitute_threshold is not None), config.block_size)):
            total = k + 1
            if k % n != i:
                continue
            if not blocks.done(k):
                _curate_one(blocks, k, block, graph_config, config, pool, bar)
                processed += len(block)
            done += 1
    finally:
        bar.close()
        if pool:
            pool.close()
            pool.join()
    (out / "blocks-total.json").write_text(json.dumps({"blocks": total}))
    manifest = None
    if finalize_when_done and all(blocks.done(k) for k in range(total)):
        manifest = finalize(out)
    return CurateResult(out, done, total, time.perf_counter() - start, processed, manifest)


def _curate_one(blocks: ShardFolder, k: int, block: list, graph_config: GraphConfig, config: CurateConfig,
                pool, bar) -> None:
    """Validate, fingerprint and graph one block (in 64-entry pieces across ``pool``); write it."""
    t0 = time.perf_counter()
    sub = [(part, graph_config, config) for part in _split(block, 64)]
    results = pool.imap(_curate_block, sub) if pool else map(_curate_block, sub)
    stores, formulas, sources, skipped, synthetic = [], [], [], [], []
    for store, f, s, sk, syn in results:
        stores.append(store)
        formulas += f
        sources += s
        skipped += sk
        synthetic += syn
        bar.update(len(store) + len(sk))
    blocks.write(k, GraphStore.concat(stores), {
        "block": k, "entries": len(block), "formulas": formulas, "sources": sources,
        "skipped": [vars(x) for x in skipped], "seconds": time.perf_counter() - t0, "synthetic": synthetic,
    })


def _blocks(stream, size: int):
    while True:
        block = list(itertools.islice(stream, size))
        if not block:
            return
        yield block


def _split(block: list, size: int) -> list[list]:
    return [block[j : j + size] for j in range(0, len(block), size)]


@dataclass
class _Tally:
    """What de-duplication counts over all blocks (for the manifest)."""

    seen: dict = field(default_factory=lambda: collections.defaultdict(list))  # (formula, sg) -> kept (vpa, hist)
    per_source: dict = field(default_factory=lambda: collections.defaultdict(collections.Counter))
    skip_reasons: collections.Counter = field(default_factory=collections.Counter)
    skipped_examples: list = field(default_factory=list)
    elements: collections.Counter = field(default_factory=collections.Counter)
    sizes: list = field(default_factory=list)
    seconds: float = 0.0
    entries: int = 0


def finalize(out_dir: str | Path) -> dict:
    """Phase 2: de-duplicate across all blocks and write ``manifest.json`` + ``keep.npz``."""
    out = Path(out_dir)
    settings = json.loads((out / "settings.json").read_text())
    cfg = CurateConfig.from_dict(settings["curate_config"])
    total = json.loads((out / "blocks-total.json").read_text())["blocks"]
    blocks = ShardFolder(out, "block")
    missing = [k for k in range(total) if not blocks.done(k)]
    if missing:
        raise FileNotFoundError(f"{out}: blocks {missing[:10]} are not built yet (run the other shards)")
    tally = _Tally()
    keep_masks = {f"block-{k:05d}": _deduplicate_block(blocks, k, cfg, settings["graph_config"]["cutoff"], tally)
                  for k in range(total)}
    np.savez(out / "keep.npz", **keep_masks)
    manifest = _manifest(settings, cfg, tally, total)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def _deduplicate_block(blocks: ShardFolder, k: int, cfg: CurateConfig, cutoff: float, tally: _Tally) -> np.ndarray:
    """Keep-mask of block ``k``: crystals not duplicating one kept before (in block order)."""
    meta = blocks.meta(k)
    tally.seconds += meta["seconds"]
    tally.entries += meta["entries"]
    with np.load(blocks.folder / blocks.name(k)) as data:
        sgs, vpas = data["target:spacegroup"].astype(int), data["target:volume_per_atom"]
        n_atoms, z = data["n_atoms"], data["atomic_numbers"]
        hists = distance_histograms(data["distances"], data["n_edges"], cfg.rdf_bin, cutoff)
    for s in meta["skipped"]:
        tally.per_source[s["where"].split(":", 1)[0]]["skipped"] += 1
        tally.skip_reasons[s["reason"].split(":")[0][:80]] += 1
        if len(tally.skipped_examples) < 20:
            tally.skipped_examples.append(s)
    keep = np.zeros(len(sgs), dtype=bool)
    starts = np.concatenate([[0], np.cumsum(n_atoms)])
    for j, (formula, source, sg, vpa) in enumerate(zip(meta["formulas"], meta["sources"], sgs, vpas)):
        tally.per_source[source]["valid"] += 1
        others = tally.seen[(formula, sg)]
        if is_duplicate(float(vpa), hists[j], others, cfg):
            tally.per_source[source]["duplicate"] += 1
            continue
        others.append((float(vpa), hists[j]))
        keep[j] = True
        tally.per_source[source]["kept"] += 1
        tally.sizes.append(int(n_atoms[j]))
        tally.elements.update(np.unique(z[starts[j]: starts[j + 1]]).tolist())
    return keep


def _synthetic_summary(cfg: CurateConfig, tally: _Tally) -> dict | None:
    """What the pool holds of substituted crystals (None when none were asked for)."""
    if cfg.substitute_threshold is None:
        return None
    per = {k: dict(v) for k, v in tally.per_source.items() if k.startswith(SUBSTITUTED)}
    return {"kind": "data-mined ion substitutions of the real crystals, unrelaxed (cells rescaled by ionic radii)",
            "threshold": cfg.substitute_threshold, "max_per_parent": cfg.substitute_max_per_parent,
            "kept": int(sum(c.get("kept", 0) for c in per.values())), "per_source": per}


def _manifest(settings: dict, cfg: CurateConfig, tally: _Tally, total: int) -> dict:
    from ase.data import chemical_symbols

    sizes = np.asarray(tally.sizes)
    kept = int(sizes.size)
    counts = tally.per_source.values()
    return {
        "sources": settings["sources"],
        "graph_config": settings["graph_config"],
        "curate_config": cfg.to_dict(),
        "entries": tally.entries,
        "valid": int(sum(c["valid"] for c in counts)),
        "skipped": int(sum(c["skipped"] for c in counts)),
        "duplicates": int(sum(c["duplicate"] for c in counts)),
        "kept": kept,
        "per_source": {k: dict(v) for k, v in tally.per_source.items()},
        "skip_reasons": dict(tally.skip_reasons.most_common()),
        "skipped_examples": tally.skipped_examples,
        "element_histogram": {chemical_symbols[z]: n for z, n in sorted(tally.elements.items())},
        "atoms_per_crystal": {
            "min": int(sizes.min()) if kept else 0,
            "median": float(np.median(sizes)) if kept else 0,
            "mean": float(sizes.mean()) if kept else 0,
            "p95": float(np.percentile(sizes, 95)) if kept else 0,
            "max": int(sizes.max()) if kept else 0,
            "histogram": dict(zip(*[a.tolist() for a in np.unique(np.minimum(sizes, 100), return_counts=True)])),
        },
        "synthetic": _synthetic_summary(cfg, tally),
        "blocks": total,
        "build_seconds_summed_over_blocks": tally.seconds,
        "crystals_per_second": tally.entries / tally.seconds if tally.seconds else None,
    }


def is_duplicate(vpa: float, hist: np.ndarray, kept: list[tuple[float, np.ndarray]], cfg: CurateConfig) -> bool:
    """Whether a crystal matches one already kept with the same formula and space group:
    volume per atom within ``volume_tolerance`` and distance histograms within ``rdf_tolerance`` (L1)."""
    return any(abs(vpa - v) <= cfg.volume_tolerance * v and float(np.abs(hist - h).sum()) <= cfg.rdf_tolerance
               for v, h in kept)


def distance_histograms(distances: np.ndarray, n_edges: np.ndarray, bin_width: float, cutoff: float) -> np.ndarray:
    """(G, n_bins) normalised histograms of each crystal's neighbour distances
    (bins of ``bin_width`` up to ``cutoff``; longer edges of isolated atoms go in the last bin)."""
    n_bins = int(np.ceil(cutoff / bin_width)) + 1
    graph = np.repeat(np.arange(len(n_edges)), n_edges)
    bins = np.minimum((distances / bin_width).astype(np.int64), n_bins - 1)
    counts = np.bincount(graph * n_bins + bins, minlength=len(n_edges) * n_bins).reshape(len(n_edges), n_bins)
    return counts / np.maximum(n_edges, 1)[:, None]


def load_curated(out_dir: str | Path) -> GraphStore:
    """The de-duplicated graphs of a finalized curation folder."""
    out = Path(out_dir)
    if not (out / "manifest.json").exists():
        raise FileNotFoundError(f"{out}: no manifest.json; run curate (all shards) first")
    manifest = json.loads((out / "manifest.json").read_text())
    stores = []
    with np.load(out / "keep.npz") as keep:
        for k in range(manifest["blocks"]):
            mask = keep[f"block-{k:05d}"]
            store = ShardFolder(out, "block").load(k)
            stores.append(store.subset(np.nonzero(mask)[0]))
    return GraphStore.concat(stores)
