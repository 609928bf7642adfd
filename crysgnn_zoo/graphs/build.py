"""Source -> :class:`GraphStore`, in parallel, cached on disk, resumable.

The cache folder is keyed by the source's fingerprint and the builder's
settings (:class:`~crysgnn_zoo.config.GraphConfig`), so a changed file or a
changed cutoff never reuses stale graphs. Entries are processed in shards of
``shard_size``; each finished shard is written at once, so an interrupted build
resumes at the first missing shard. A bad structure is skipped and recorded
(with its file, row and reason); it never stops the build.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import logging
import multiprocessing as mp
import os
import shutil
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

import numpy as np
from crysgnn_zoo.progress import bar as progress_bar

from crysgnn_zoo.config import GraphConfig
from crysgnn_zoo.data.errors import CrystalDataError, Skipped, SkipReport
from crysgnn_zoo.data.sources import RawEntry, Source
from crysgnn_zoo.data.structures import parse_structure
from crysgnn_zoo.graphs.neighbors import NeighborList, find_neighbors
from crysgnn_zoo.graphs.shards import ShardFolder
from crysgnn_zoo.graphs.store import GraphStore
from crysgnn_zoo.paths import cache_dir

if TYPE_CHECKING:
    from jarvis.core.atoms import Atoms as JarvisAtoms


log = logging.getLogger(__name__)

CACHE_FORMAT = 1


def neighbors_of(atoms: JarvisAtoms, config: GraphConfig) -> NeighborList:
    """Neighbour list of a jarvis ``Atoms`` under ``config``."""
    return find_neighbors(
        atoms.lattice_mat,
        atoms.frac_coords,
        cutoff=config.cutoff,
        max_neighbors=config.max_neighbors,
        isolated=config.isolated,
        max_isolated_radius=config.max_isolated_radius,
    )


def build_one(entry: RawEntry, config: GraphConfig) -> tuple[JarvisAtoms, NeighborList]:
    """Parse one entry and find its neighbours: ``(atoms, neighbour list)``.

    Raises:
        CrystalDataError: the structure is unusable (reason names the problem).
    """
    atoms = parse_structure(entry.fmt, entry.payload, entry.where)
    try:
        nl = neighbors_of(atoms, config)
    except CrystalDataError as exc:  # isolated atoms with isolated="error"; the entry gets its name
        raise type(exc)(entry.where, exc.reason) from None
    return atoms, nl


def _build_chunk(args: tuple[list[RawEntry], GraphConfig, list[str]]):
    entries, config, target_names = args
    ids, zs, lats, nls, skipped = [], [], [], [], []
    targets: dict[str, list[float]] = {k: [] for k in target_names}
    n_isolated = 0
    for entry in entries:
        try:
            atoms, nl = build_one(entry, config)
        except CrystalDataError as exc:
            skipped.append(Skipped(exc.where, exc.reason))
            continue
        except Exception as exc:  # noqa: BLE001 - never lose a long build to one entry
            skipped.append(Skipped(entry.where, f"unexpected {type(exc).__name__}: {exc}"))
            continue
        ids.append(entry.id)
        zs.append(np.asarray(atoms.atomic_numbers, dtype=np.uint8))
        lats.append(np.asarray(atoms.lattice_mat, dtype=np.float64))
        nls.append(nl)
        n_isolated += nl.n_isolated
        for k in target_names:
            targets[k].append(entry.targets.get(k, np.nan))
    store = GraphStore.from_graphs(ids, zs, lats, nls, targets)
    return store, skipped, n_isolated


@dataclass
class BuildResult:
    """A built (or cache-loaded) set with what was skipped and how long it took.

    ``n_isolated`` counts atoms with no neighbour within ``cutoff`` (Angstrom),
    which the isolated-atom rule joined to their nearest atoms (``GraphConfig.isolated``).
    """

    store: GraphStore
    skipped: SkipReport
    seconds: float
    from_cache: bool
    n_isolated: int
    cache_path: Path | None
    cutoff: float | None = None

    def summary(self) -> str:
        """One line: crystals built, skipped, and atoms joined by the isolated-atom rule (when there are any)."""
        how = "loaded from the cache" if self.from_cache else f"built in {self.seconds:.1f} s"
        cutoff = f" within {self.cutoff:g} Angstrom" if self.cutoff is not None else ""
        isolated = (f"; {self.n_isolated} atom(s) had no neighbour{cutoff} and were joined to their nearest "
                    "atoms (isolated-atom rule)") if self.n_isolated else ""
        return f"graphs: {len(self.store)} crystals {how}, {len(self.skipped)} skipped{isolated}"


def _chunks(it: Iterable, size: int) -> Iterator[list]:
    it = iter(it)
    while True:
        block = list(itertools.islice(it, size))
        if not block:
            return
        yield block


def _pool(workers: int):
    method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
    return mp.get_context(method).Pool(workers)


def build_entries(
    entries: Iterable[RawEntry],
    config: GraphConfig,
    target_names: list[str],
    workers: int = 1,
    progress: bool = True,
    total: int | None = None,
    desc: str = "graphs",
    chunk: int = 64,
) -> tuple[GraphStore, SkipReport, int]:
    """Build graphs for ``entries`` with ``workers`` processes (no caching)."""
    tasks = ((block, config, target_names) for block in _chunks(entries, chunk))
    stores, report, n_isolated = [], SkipReport(), 0
    bar = progress_bar(total=total, desc=desc, unit="crystal", disable=not progress, leave=False)
    pool = _pool(workers) if workers > 1 else None
    try:
        results = pool.imap(_build_chunk, tasks) if pool else map(_build_chunk, tasks)
        for store, skipped, iso in results:
            stores.append(store)
            report.items.extend(skipped)
            n_isolated += iso
            bar.update(len(store) + len(skipped))
    finally:
        bar.close()
        if pool:
            pool.close()
            pool.join()
    return GraphStore.concat(stores) if stores else GraphStore.empty(target_names), report, n_isolated


def cache_key(source: Source, config: GraphConfig) -> str:
    return f"{source.name}-{source.fingerprint()}-{config.fingerprint()}-f{CACHE_FORMAT}"


def cache_folder(source: Source, config: GraphConfig, cache_root: str | Path | None = None) -> Path:
    """Where :func:`build_store` keeps (or would keep) the graphs of ``source`` under ``config``."""
    root = Path(cache_root) if cache_root else cache_dir("graphs")
    return root / cache_key(source, config)


def is_cached(source: Source, config: GraphConfig, cache_root: str | Path | None = None) -> bool:
    """Whether a finished graph cache of ``source`` under ``config`` exists."""
    return (cache_folder(source, config, cache_root) / "manifest.json").exists()


def build_store(
    source: Source,
    config: GraphConfig | None = None,
    *,
    workers: int | None = None,
    cache: bool = True,
    cache_root: str | Path | None = None,
    shard_size: int = 4096,
    progress: bool = True,
) -> BuildResult:
    """All graphs of ``source`` under ``config``: from the cache when present,
    else built with ``workers`` processes (default: all cores) and cached.

    Returns:
        :class:`BuildResult`; ``skipped`` lists every entry left out and why.
    """
    config = config or GraphConfig()
    workers = workers or os.cpu_count() or 1
    target_names = sorted(source.targets)
    start = time.perf_counter()
    if not cache:
        store, report, iso = build_entries(
            source.entries(), config, target_names, workers, progress, desc=source.name
        )
        return BuildResult(store, report, time.perf_counter() - start, False, iso, None, config.cutoff)

    folder = cache_folder(source, config, cache_root)
    if (folder / "manifest.json").exists():
        try:
            return _load_cached(folder, source, config, start)
        except CacheMismatch as exc:  # damaged or swapped shards: rebuilt, never loaded as they are
            log.warning("%s: %s; building it again", folder, exc)
            shutil.rmtree(folder)
    shards, report, n_isolated = ShardFolder(folder, "shard"), SkipReport(), 0
    names = []
    for k, block in enumerate(_chunks(source.entries(), shard_size)):
        if not shards.done(k):  # resumed: finished before
            built, skipped, iso = build_entries(block, config, target_names, workers, progress, total=len(block),
                                                desc=f"{source.name} shard {k}")
            shards.write(k, built, {"skipped": [vars(s) for s in skipped], "n_isolated": iso, "count": len(built)})
        meta = shards.meta(k)
        report.items.extend(Skipped(**s) for s in meta["skipped"])
        n_isolated += meta["n_isolated"]
        names.append(shards.name(k))
    stores = [shards.load(k) for k in range(len(names))]
    store = GraphStore.concat(stores) if stores else GraphStore.empty(target_names)
    seconds = time.perf_counter() - start
    manifest = {
        "source": source.name, "source_kind": source.kind, "source_fingerprint": source.fingerprint(),
        "graph_config": config.to_dict(), "cache_format": CACHE_FORMAT, "count": len(store),
        "n_skipped": len(report), "n_isolated": n_isolated, "targets": {k: source.unit(k) for k in target_names},
        "shards": names, "skipped": report.to_list(), "build_seconds": seconds, "ids_sha256": ids_digest(store),
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1))
    if len(report):
        log.warning("%s: %s", source.name, report.summary())
    return BuildResult(store, report, seconds, False, n_isolated, folder, config.cutoff)


class CacheMismatch(Exception):
    """A graph cache that cannot be used as it is (unreadable, truncated, or holding other crystals)."""


def ids_digest(store: GraphStore) -> str:
    """SHA-256 of a store's ids in order: what a cache's manifest checks its shards against."""
    return hashlib.sha256("\n".join(store.ids.tolist()).encode()).hexdigest()


def _load_cached(folder: Path, source: Source, config: GraphConfig, start: float) -> BuildResult:
    """The cached store, checked against its manifest (count, and the ids' digest where recorded).

    Raises:
        CacheMismatch: a shard is unreadable or truncated, or the shards hold other crystals.
    """
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        store = GraphStore.concat([GraphStore.load(folder / name) for name in manifest["shards"]])
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise CacheMismatch(f"unreadable ({type(exc).__name__})") from None
    if len(store) != manifest.get("count", len(store)) or manifest.get("ids_sha256", ids_digest(store)) != ids_digest(store):
        raise CacheMismatch(f"its shards hold {len(store)} crystals that are not the {manifest.get('count')} "
                            "its manifest records (a shard copied or swapped in)")
    log.info("loaded %d graphs of %s from %s", len(store), source.name, folder)
    return BuildResult(store, SkipReport.from_list(manifest["skipped"]), time.perf_counter() - start, True,
                       manifest["n_isolated"], folder, config.cutoff)
