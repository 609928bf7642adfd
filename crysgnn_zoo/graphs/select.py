"""Which crystals a supervised run trains on: those with a finite target, drawn and split, seeded.

:func:`labelled_graphs` is the whole step for :func:`crysgnn_zoo.train.run.train_model` (and the
scripts that rebuild a run's split): graphs of the source's crystals with a finite value of the
target (``max_samples`` of them drawn with the split seed; an uncached source builds only the
drawn ones), then :func:`checked_split`.
"""
from __future__ import annotations

import os
import time

import numpy as np

from crysgnn_zoo.config import GraphConfig
from crysgnn_zoo.data.errors import NoUsableDataError, Skipped, SkipReport
from crysgnn_zoo.data.sources import Source
from crysgnn_zoo.data.splits import Split, random_split, subsample
from crysgnn_zoo.graphs.build import BuildResult, build_entries, build_store, is_cached
from crysgnn_zoo.graphs.store import GraphStore


def select_target(store: GraphStore, target: str, source_name: str) -> tuple[GraphStore, SkipReport]:
    """Keep crystals whose ``target`` is a finite number; report the others."""
    values = store.target(target)
    ok = np.isfinite(values)
    report = SkipReport([
        Skipped(f"{source_name} id {i}", f"target {target!r} is missing or NaN", "target")
        for i in store.ids[~ok]
    ])
    return (store if ok.all() else store.subset(np.nonzero(ok)[0])), report


def usable_data(
    source: Source, built: BuildResult, target: str, max_samples: int | None, seed: int
) -> tuple[GraphStore, SkipReport]:
    """The crystals of ``built`` with a finite ``target`` (then ``max_samples`` of them, seeded).

    Raises:
        NoUsableDataError: none is left; the message counts what was skipped and shows why.
    """
    store, target_skips = select_target(built.store, target, source.name)
    store = store.subset(subsample(len(store), max_samples, seed))
    if len(store) == 0:
        skipped = SkipReport(built.skipped.items + target_skips.items)
        raise NoUsableDataError(
            source.name,
            f"no usable crystals for target {target!r}: {len(built.store) + len(built.skipped)} entries read, "
            f"{len(built.skipped)} skipped as unreadable, {len(target_skips)} without a value for {target!r}"
            + (f"; {skipped.summary(3)}" if len(skipped) else ""),
        )
    return store, target_skips


def build_drawn(
    source: Source, config: GraphConfig, target: str, k: int, seed: int, workers: int | None, progress: bool
) -> tuple[BuildResult, SkipReport]:
    """Graphs for ``k`` entries drawn (seeded) among those with a finite ``target``, read without
    parsing; the same crystals :func:`usable_data` draws from a full build when every entry is readable.

    Raises:
        NoUsableDataError: no drawn entry could be built.
    """
    t0 = time.perf_counter()
    entries = list(source.entries())
    usable = [e for e in entries if np.isfinite(e.targets.get(target, np.nan))]
    target_skips = SkipReport([Skipped(e.where, f"target {target!r} is missing or NaN", "target")
                               for e in entries if not np.isfinite(e.targets.get(target, np.nan))])
    drawn = [usable[i] for i in subsample(len(usable), k, seed)]
    store, skipped, n_isolated = build_entries(drawn, config, sorted(source.targets), workers or os.cpu_count() or 1,
                                               progress, total=len(drawn), desc=f"{source.name} ({len(drawn)} drawn)")
    built = BuildResult(store, skipped, time.perf_counter() - t0, False, n_isolated, None, config.cutoff)
    if len(store) == 0:
        raise NoUsableDataError(source.name, f"no usable crystals for target {target!r}: {len(entries)} entries, "
                                             f"{len(drawn)} drawn, {len(skipped)} of them unreadable; "
                                             f"{SkipReport(skipped.items + target_skips.items).summary(3)}")
    return built, target_skips


def checked_split(store: GraphStore, sizes: tuple[float, float, float], seed: int, source: str, target: str) -> Split:
    """:func:`random_split` that refuses an empty train, validation or test part.

    Raises:
        NoUsableDataError: too few crystals for the split asked for.
    """
    split = random_split(store.ids, sizes, seed)
    empty = [part for part, n in zip(("train", "validation", "test"), split.sizes) if n == 0]
    if empty:
        raise NoUsableDataError(
            source, f"only {len(store)} usable crystal(s) for target {target!r}: the split "
                    f"{list(sizes)} leaves the {' and '.join(empty)} part empty"
        )
    return split


def labelled_graphs(source: Source, graph_config: GraphConfig, target: str, max_samples: int | None, seed: int,
                    workers: int | None = None, progress: bool = True
                    ) -> tuple[BuildResult, GraphStore, SkipReport]:
    """``(build result, store of the usable crystals, skips)``; with ``max_samples`` on an
    uncached source only the drawn crystals get graphs."""
    if max_samples is None or is_cached(source, graph_config):
        built = build_store(source, graph_config, workers=workers, progress=progress)
        store, skips = usable_data(source, built, target, max_samples, seed)
        return built, store, skips
    built, skips = build_drawn(source, graph_config, target, max_samples, seed, workers, progress)
    return built, built.store, skips
