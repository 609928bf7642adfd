"""Initialising part of a model from a released or saved encoder.

Used by :func:`crysgnn_zoo.get_model` for the models whose recipe *starts* from
pre-trained weights: CrysXPP (its CrysAE autoencoder's encoder) and the CrysGNN
fine-tuning baseline (the teacher's encoder). ``source`` is anything :func:`~crysgnn_zoo.hub.resolve_weights`
accepts: a release name (``crysgnn-v1``) or a checkpoint folder.
"""
from __future__ import annotations

from pathlib import Path

from torch import nn

from crysgnn_zoo.errors import ConfigError
from crysgnn_zoo.hub.checkpoint import load_checkpoint
from crysgnn_zoo.hub.resolve import resolve_weights

ENCODER_PREFIXES = ("embedding.", "convs.")
ENCODER_FIELDS = ("atom_dim", "n_conv", "gaussian_stop", "gaussian_step")  # must agree between donor and model


def load_encoder_weights(
    model: nn.Module, source: str | Path, prefixes: tuple[str, ...] = ENCODER_PREFIXES,
    check: tuple[str, ...] = ENCODER_FIELDS,
) -> list[str]:
    """Copy the parameters under ``prefixes`` from checkpoint ``source`` into ``model``.

    ``check`` names config fields that must be equal in the source's and the
    model's config; a mismatch raises ``ValueError`` naming the field.
    Returns the names of the copied tensors.
    """
    folder = resolve_weights(source)
    donor = load_checkpoint(folder).model
    for field in check:
        value = getattr(model.config, field, None)
        have = getattr(donor.config, field, None)
        if have != value:
            raise ConfigError(f"pre-trained weights {source!r} ({folder}) have {field}={have!r}, this model needs {value!r}")
    mine = model.state_dict()
    copied = {k: v for k, v in donor.state_dict().items() if k.startswith(prefixes) and k in mine}
    if not copied:
        raise ConfigError(f"pre-trained weights {source!r} ({folder}) hold no tensors under {prefixes}")
    for k, v in copied.items():
        if mine[k].shape != v.shape:
            raise ConfigError(f"pre-trained weights {source!r}: {k} has shape {tuple(v.shape)}, model needs {tuple(mine[k].shape)}")
    model.load_state_dict(copied, strict=False)
    return sorted(copied)
