"""Which message-passing backend a batch of graphs uses: DGL or plain torch.

Every network reaches its graphs only through :mod:`crysgnn_zoo.backend.ops` (edge gathers, sums
over a node's incoming edges, per-crystal readouts, softmaxes, the line graph). Two
implementations stand behind it:

- ``dgl``: DGL's fused CPU kernels (DGL from PyPI is a CPU build). The default on CPU.
- ``torch``: index and scatter operations on the edge index of a plain tensor container
  (:class:`~crysgnn_zoo.backend.batch.GraphBatch`); runs on any device torch runs on, and is
  chosen automatically on a CUDA device.

A batch carries its backend (the collate builds one or the other from the same cached
stores), so the operations dispatch on the graph they get. The setting, in order of precedence:
``TrainConfig.backend`` (``--backend``) when not ``auto``, then the environment variable
``CRYSGNN_ZOO_BACKEND`` (``dgl``, ``torch`` or ``auto``), then ``auto``: ``torch`` on a CUDA
device, ``dgl`` on the CPU. Nothing here imports torch or DGL.
"""
from __future__ import annotations

import os

from crysgnn_zoo.errors import ConfigError

#: backend name -> the module that implements :mod:`crysgnn_zoo.backend.ops`'s operations for it
BACKENDS = {"dgl": "crysgnn_zoo.backend.dgl_ops", "torch": "crysgnn_zoo.backend.torch_ops"}
#: the environment variable that chooses the backend when a config leaves it ``auto``
BACKEND_ENV = "CRYSGNN_ZOO_BACKEND"
CHOICES = ("auto", *BACKENDS)


def _device_type(device: object) -> str:
    return str(device or "cpu").split(":")[0]


def for_device(device: object = "cpu", setting: str | None = "auto") -> str:
    """The backend to use on ``device`` (``"cpu"``, ``"cuda:0"``, a torch.device) under ``setting``.

    Raises:
        ConfigError: an unknown name, or ``dgl`` asked for on a device DGL's kernels do not run on.
    """
    name = setting or "auto"
    if name == "auto":
        name = os.environ.get(BACKEND_ENV, "").strip().lower() or "auto"
        where = f"{BACKEND_ENV}={name}"
    else:
        where = f"backend {name!r}"
    if name not in CHOICES:
        raise ConfigError(f"{where}: unknown backend; choose one of {', '.join(CHOICES)}")
    kind = _device_type(device)
    if name == "auto":
        return "dgl" if kind == "cpu" else "torch"
    if name == "dgl" and kind != "cpu":
        raise ConfigError(f"{where} on device {device}: DGL from PyPI has CPU kernels only; "
                          "use the torch backend (--backend torch) on a GPU")
    return name


def graph_backend(g: object) -> str:
    """The backend a batched graph belongs to (a :class:`GraphBatch` says ``torch``; a DGLGraph ``dgl``)."""
    return getattr(g, "backend", "dgl")


def check_device(device: str | None) -> None:
    """Refuse an unknown device name, or a CUDA device on a torch without CUDA, before any work.

    Raises:
        ConfigError: naming the device and what torch offers.
    """
    if device is None or str(device) == "cpu":
        return
    import torch

    try:
        kind = torch.device(device).type
    except (RuntimeError, ValueError):
        raise ConfigError(f"--device {device}: not a device name (cpu, cuda, cuda:0, ...)") from None
    if kind == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"--device {device}: this torch ({torch.__version__}) has no CUDA device available; "
                          "install a CUDA build of torch on a machine with a GPU (README: 'Training on a GPU'), "
                          "or use --device cpu")
