"""Which crystals a supervised run trains on: those with a finite target, drawn and split, seeded.

:func:`labelled_graphs` is the whole step for :func:`crysgnn_zoo.train.run.train_model` (and the
scripts that rebuild a run's split): graphs of the source's crystals with a finite value of the
target (``max_samples`` of them drawn with the split seed; an uncached source builds only the
drawn ones), then :func:`checked_split`.
"""
from __future__ import annotations

import hashlib
import os

import numpy as np

from crysgnn_zoo.config import GraphConfig
from crysgnn_zoo.data.errors import NoUsableDataError, Skipped, SkipReport
from crysgnn_zoo.data.sources import Source, open_source
from crysgnn_zoo.data.splits import Split, random_split, subsample
from crysgnn_zoo.graphs.build import BuildResult, build_store, is_cached
from crysgnn_zoo.graphs.store import GraphStore


def select_target(store: GraphStore, target: str, source_name: str,
                  exclude: frozenset[str] = frozenset(), problems: dict[str, str] | None = None
                  ) -> tuple[GraphStore, SkipReport]:
    """Keep crystals whose ``target`` is a finite number and whose id is not in ``exclude``;
    report the others (an excluded crystal is reported as such, not as missing a value; a cell
    that held text, by ``problems``: id -> why, see :func:`target_problems`)."""
    values = store.target(target)
    finite = np.isfinite(values)
    left_out = np.isin(store.ids, sorted(exclude)) if exclude else np.zeros(len(store), dtype=bool)
    ok = finite & ~left_out
    problems = problems or {}
    report = SkipReport([
        Skipped(f"{source_name} id {i}", problems.get(i, f"target {target!r} is missing or NaN"), "target")
        for i in store.ids[~finite]
    ] + [Skipped(f"{source_name} id {i}", "excluded (RunConfig.exclude)", "excluded")
         for i in store.ids[finite & left_out]])
    return (store if ok.all() else store.subset(np.nonzero(ok)[0])), report


def excluded_ids(spec: str | None) -> frozenset[str]:
    """The crystal ids of data set ``spec`` (a name, file or folder; read without parsing any
    structure): what :attr:`~crysgnn_zoo.config.RunConfig.exclude` leaves out. ``None``: none."""
    if spec is None:
        return frozenset()
    return frozenset(entry.id for entry in open_source(spec).entries())


def target_problems(source: Source, target: str, ids: set[str]) -> dict[str, str]:
    """Why each crystal of ``ids`` has no value of ``target`` (the source's entries read again,
    without parsing structures; only when some are missing)."""
    return {e.id: e.target_problem(target) for e in source.entries() if e.id in ids}


def usable_data(
    source: Source, built: BuildResult, target: str, max_samples: int | None, seed: int,
    exclude: frozenset[str] = frozenset(),
) -> tuple[GraphStore, SkipReport]:
    """The crystals of ``built`` with a finite ``target`` and an id not in ``exclude`` (then
    ``max_samples`` of them, seeded).

    Raises:
        NoUsableDataError: none is left; the message counts what was skipped and shows why.
    """
    missing = built.store.ids[~np.isfinite(built.store.target(target))]
    problems = target_problems(source, target, set(missing)) if len(missing) else None
    store, target_skips = select_target(built.store, target, source.name, exclude, problems)
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
    source: Source, config: GraphConfig, target: str, k: int, seed: int, workers: int | None, progress: bool,
    exclude: frozenset[str] = frozenset(),
) -> tuple[BuildResult, SkipReport]:
    """Graphs for ``k`` entries drawn (seeded) among those with a finite ``target``, read without
    parsing; the same crystals :func:`usable_data` draws from a full build when every entry is readable.

    Raises:
        NoUsableDataError: no drawn entry could be built.
    """
    entries = list(source.entries())
    usable = [e for e in entries if np.isfinite(e.targets.get(target, np.nan)) and e.id not in exclude]
    target_skips = SkipReport([Skipped(e.where, e.target_problem(target), "target")
                               for e in entries if not np.isfinite(e.targets.get(target, np.nan))]
                              + [Skipped(e.where, "excluded (RunConfig.exclude)", "excluded")
                                 for e in entries if np.isfinite(e.targets.get(target, np.nan)) and e.id in exclude])
    drawn = [usable[i] for i in subsample(len(usable), k, seed)]
    built = build_store(drawn_source(source, drawn), config, workers=workers or os.cpu_count() or 1,
                        progress=progress)
    if len(built.store) == 0:
        raise NoUsableDataError(source.name, f"no usable crystals for target {target!r}: {len(entries)} entries, "
                                             f"{len(drawn)} drawn, {len(built.skipped)} of them unreadable; "
                                             f"{SkipReport(built.skipped.items + target_skips.items).summary(3)}")
    return built, target_skips


def drawn_source(source: Source, drawn: list) -> Source:
    """``source`` narrowed to the ``drawn`` entries, with a fingerprint of its own (the source's
    plus the drawn ids), so the graphs of one draw are cached and a rerun of it reuses them."""
    digest = hashlib.sha256("\n".join(e.id for e in drawn).encode()).hexdigest()[:12]
    return Source(f"{source.name}-{len(drawn)}drawn", source.kind, source.files, source.targets,
                  lambda: iter(drawn), card=source.card,
                  meta={**source.meta, "location": f"{source.meta.get('location', '')}#drawn:{digest}"},
                  ranges=source.ranges)


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
                    workers: int | None = None, progress: bool = True, exclude: frozenset[str] = frozenset()
                    ) -> tuple[BuildResult, GraphStore, SkipReport]:
    """``(build result, store of the usable crystals, skips)``; with ``max_samples`` on an
    uncached source only the drawn crystals get graphs; ids in ``exclude`` are left out first."""
    if max_samples is None or is_cached(source, graph_config):
        built = build_store(source, graph_config, workers=workers, progress=progress)
        store, skips = usable_data(source, built, target, max_samples, seed, exclude)
        return built, store, skips
    built, skips = build_drawn(source, graph_config, target, max_samples, seed, workers, progress, exclude)
    return built, built.store, skips
