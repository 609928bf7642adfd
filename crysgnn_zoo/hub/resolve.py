"""Find, verify and load released weights.

``resolve_weights(name)`` looks, in order, at:

1. an explicit folder path (a checkpoint folder with ``config.json``);
2. the installed weights distribution ``crysgnn_zoo_weights`` (``pip install ./models``);
3. the user cache: ``$CRYSGNN_ZOO_CACHE/weights/<name>`` or
   ``~/.cache/crysgnn_zoo/weights/<name>``;
4. a download of the release archive (``<base>/<name>.tar.gz``, base from
   ``$CRYSGNN_ZOO_WEIGHTS_URL`` or the release table), with a progress bar,
   verified by SHA-256 before it is unpacked into the cache.

Every folder found is checked: the SHA-256 of ``weights.pt`` must match the
release table (for named releases) and the folder's own card.
"""
from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from crysgnn_zoo.download import ChecksumMismatchError, DownloadError, download, sha256_of
from crysgnn_zoo.errors import CheckpointError, WeightsNotFoundError, WeightsVerificationError
from crysgnn_zoo.paths import CACHE_ENV, cache_dir, check_name
from crysgnn_zoo.ranges import TargetRange

if TYPE_CHECKING:
    from torch import nn

    from crysgnn_zoo.hub.checkpoint import Predictor

WEIGHTS_URL_ENV = "CRYSGNN_ZOO_WEIGHTS_URL"


@dataclass(frozen=True)
class Release:
    """A published weight set: archive URL and hashes."""

    name: str
    url: str | None
    archive_sha256: str | None
    weights_sha256: str
    config_sha256: str | None = None


_TABLE = Path(__file__).with_name("releases.json")
_REGISTERED: dict[str, Release] = {}


def releases() -> dict[str, Release]:
    """Every known release by name: the package's ``releases.json`` (read at each call, a few
    rows; nothing is read at import) and whatever :func:`register_release` added in this
    process (which wins)."""
    rows = json.loads(_TABLE.read_text()) if _TABLE.exists() else []
    return {**{row["name"]: Release(**row) for row in rows}, **_REGISTERED}


def register_release(release: Release) -> None:
    """Add or replace a release (e.g. a mirror's) for this process."""
    _REGISTERED[release.name] = release


def forget_release(name: str) -> None:
    """Drop a release registered in this process (tests)."""
    _REGISTERED.pop(name, None)


def verify_folder(folder: Path, release: Release | None = None) -> Path:
    """Check ``folder``'s weights and config against its card and ``release``'s hashes (see
    :func:`~crysgnn_zoo.hub.checkpoint.verify_weights`); returns ``folder``."""
    from crysgnn_zoo.hub.checkpoint import verify_weights  # torch: imported only where weights are read

    verify_weights(folder, release.weights_sha256 if release else None, release.config_sha256 if release else None)
    return folder


def _from_package(name: str) -> Path | None:
    try:
        import crysgnn_zoo_weights
    except ImportError:
        return None
    return crysgnn_zoo_weights.path_of(name)


def _download_release(name: str, release: Release | None, dest: Path) -> Path:
    base = os.environ.get(WEIGHTS_URL_ENV)
    url = f"{base.rstrip('/')}/{name}.tar.gz" if base else (release.url if release else None)
    if url is None:
        raise DownloadError(f"no download URL is known for {name!r}")
    archive_sha = release.archive_sha256 if release else None
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        archive = download(url, Path(tmp) / f"{name}.tar.gz", sha256=archive_sha)
        with tarfile.open(archive) as tar:
            _safe_extract(tar, Path(tmp))
        unpacked = Path(tmp) / name
        if not (unpacked / "config.json").exists():
            raise WeightsVerificationError(f"{url}: the archive has no {name}/config.json")
        verify_folder(unpacked, release)
        if dest.exists():
            shutil.rmtree(dest)
        shutil.move(str(unpacked), dest)
    return dest


def _safe_extract(tar: tarfile.TarFile, dest: Path) -> None:
    """Extract regular files and folders only, never outside ``dest``."""
    root = dest.resolve()
    for member in tar.getmembers():
        target = (dest / member.name).resolve()
        if root not in target.parents or not (member.isfile() or member.isdir()):
            raise WeightsVerificationError(f"archive member {member.name!r} is not a plain file inside the archive")
    tar.extractall(dest)  # noqa: S202 - members checked above


def resolve_weights(name_or_path: str | Path, download_missing: bool = True) -> Path:
    """Folder of a verified weight set (see the module docstring for the search order).

    Raises:
        WeightsNotFoundError: nowhere to be found and the download failed.
        WeightsVerificationError: a copy was found but its hash is wrong.
    """
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return verify_folder(path)
    name = check_name(str(name_or_path), "release name or checkpoint folder (no such folder)")
    release = releases().get(name)
    found = _from_package(name)
    if found is not None:
        return verify_folder(found, release)
    cached = cache_dir("weights") / name
    if (cached / "config.json").exists():
        return verify_folder(cached, release)
    reason = "downloads disabled"
    if download_missing:
        try:
            return _download_release(name, release, cached)
        except ChecksumMismatchError as exc:
            raise WeightsVerificationError(str(exc)) from None
        except DownloadError as exc:
            reason = str(exc)
    known = ", ".join(sorted(releases())) or "none"
    raise WeightsNotFoundError(
        f"weights {name!r} not found (known releases: {known}). Install the weights package "
        f"(`pip install -e ./models` from a crysgnn-zoo checkout; `make install` does it), "
        f"or put the checkpoint folder at {cached} (set {CACHE_ENV} to move the cache), "
        f"or set {WEIGHTS_URL_ENV} to a mirror. Download: {reason}"
    )


def _card_summary(card: dict) -> str:
    """One line: what a released weight set predicts and how well (or that it is an encoder)."""
    data = card.get("data", {})
    test = card.get("metrics", {}).get("test")
    if not test:
        return f"{card.get('architecture', '?')} encoder, no property head (a teacher or a pre-trained start)"
    unit = card.get("metrics", {}).get("unit", "")
    rng = TargetRange.from_json(data.get("range"))
    return (f"{card.get('architecture', '?')}, {data.get('dataset', '?')} {data.get('target', '?')}: "
            f"test MAE {test['mae']:.4g} {unit} ({data.get('split_sizes', ['?'] * 3)[2]} test crystals)"
            + (f"; predictions in {rng} {unit}" if rng else ""))


def released_models() -> list[dict]:
    """Cards of the weight sets of the installed weights package, each with a one-line ``summary``."""
    try:
        import crysgnn_zoo_weights
    except ImportError:
        return []
    cards = []
    for name in crysgnn_zoo_weights.available():
        path = crysgnn_zoo_weights.path_of(name) / "card.json"
        card = json.loads(path.read_text()) if path.exists() else {"name": name}
        cards.append({**card, "name": name, "summary": _card_summary(card)})
    return cards


def load_released(name_or_path: str | Path, device: str = "cpu") -> Predictor:
    """A released weight set by name, or a checkpoint folder, as a
    :class:`~crysgnn_zoo.hub.checkpoint.Predictor`, verified against its card and, for a
    released name, the release table."""
    release = releases().get(str(name_or_path))
    from crysgnn_zoo.hub.checkpoint import load_checkpoint

    folder = resolve_weights(name_or_path)
    predictor = load_checkpoint(folder, device=device,
                                expected_sha256=release.weights_sha256 if release else None,
                                expected_config_sha256=release.config_sha256 if release else None)
    record = json.loads((folder / "config.json").read_text()).get("teacher_input")
    if record:  # a student fed by its teacher (DistillConfig(mode="input")): the teacher comes with it
        predictor.model = _fed_by_teacher(predictor.model, record, folder, device)
    return predictor


def _fed_by_teacher(model: nn.Module, record: dict, path: Path, device: str) -> nn.Module:
    """``model`` wrapped with the teacher ``config.json`` names, loaded and checked against the
    SHA-256 of the weights the model was trained with.

    Raises:
        CheckpointError: the record is incomplete, or the teacher found has other weights.
    """
    from crysgnn_zoo.hub.checkpoint import load_checkpoint
    from crysgnn_zoo.nets.teacher_input import TeacherInputModel

    source, sha = record.get("source"), record.get("sha256")
    if not source or not sha:
        raise CheckpointError(f"{path / 'config.json'}: teacher_input needs its source and sha256")
    folder = resolve_weights(source)
    if sha256_of(folder / "weights.pt") != sha:
        raise CheckpointError(f"{path}: trained on the inputs of teacher {source} with weights {sha[:16]}...; the "
                              f"teacher found at {folder} has other weights: restore that teacher")
    return TeacherInputModel(model, load_checkpoint(folder, device=device).model, str(source),
                             mean=record.get("mean"), std=record.get("std"))
