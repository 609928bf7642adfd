"""Imports point one way: every intra-package import (function-level ones included) goes to
the same or a lower layer, and the module graph has no cycle.

Layers, lowest first (a module may import its own layer and the ones below):

- core: errors, paths, config, the DGL shim and the message-passing backends, downloads, the version;
- data: reading crystals; graphs: crystals -> graphs, batching;
- nets: architectures, their registry, target normalisation;
- hub: the checkpoint format, released weights, pre-trained starts (below distillation and
  training because both *start from* released weights: teachers, fine-tuning);
- distill: teachers and the distillation wrapper; factory: ``get_model``;
- train: the trainer and the end-to-end run; pretrain: teacher pre-training (reuses train);
- predict; and the entry points (the CLI, the package root).
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "crysgnn_zoo"

LAYERS = [
    ["crysgnn_zoo._version", "crysgnn_zoo.errors", "crysgnn_zoo.paths", "crysgnn_zoo.ranges", "crysgnn_zoo.smoke",
     "crysgnn_zoo.config", "crysgnn_zoo._dgl", "crysgnn_zoo._lazy", "crysgnn_zoo.backend", "crysgnn_zoo.download",
     "crysgnn_zoo.progress"],
    ["crysgnn_zoo.data"],
    ["crysgnn_zoo.graphs"],
    ["crysgnn_zoo.nets"],
    ["crysgnn_zoo.hub"],
    ["crysgnn_zoo.distill"],
    ["crysgnn_zoo.factory"],
    ["crysgnn_zoo.train"],
    ["crysgnn_zoo.pretrain"],
    ["crysgnn_zoo.predict", "crysgnn_zoo.embed", "crysgnn_zoo.evaluate"],
    ["crysgnn_zoo.options", "crysgnn_zoo.cli", "crysgnn_zoo.__main__", "crysgnn_zoo"],
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every ``crysgnn_zoo`` module ``path`` imports, at any depth of the file."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            targets = [target]
            if target == "crysgnn_zoo" or target.endswith("__init__"):
                targets = [target]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        else:
            continue
        found.update(t for t in targets if t == "crysgnn_zoo" or t.startswith("crysgnn_zoo."))
    return found


def layer_of(module: str) -> int:
    best, depth = None, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > depth:
                best, depth = index, len(prefix)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS")
    return best


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_has_a_layer():
    for module in graph():
        layer_of(module)


def test_imports_point_down():
    upward = [f"{m} (layer {layer_of(m)}) imports {t} (layer {layer_of(t)})"
              for m, targets in graph().items() for t in sorted(targets) if layer_of(t) > layer_of(m)]
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_no_import_cycle():
    edges = graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(edges.get(module, ())):
            if target not in edges:
                continue
            if state.get(target) == 1:
                raise AssertionError("import cycle: " + " -> ".join(stack[stack.index(target):] + [target]))
            if target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module)


def test_the_checker_sees_function_level_imports(tmp_path):
    path = PACKAGE / "nets" / "cgcnn.py"
    assert "crysgnn_zoo.nets.registry" in imports_of(path)
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from crysgnn_zoo.train.run import train_model\n")
    found = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.ImportFrom):
            found.add(node.module)
    assert found == {"crysgnn_zoo.train.run"}
    with pytest.raises(AssertionError):
        assert layer_of("crysgnn_zoo.train.run") <= layer_of("crysgnn_zoo.nets.cgcnn")


def test_import_changes_no_process_setting():
    """``import crysgnn_zoo`` sets no environment variable (oneDNN caches are the trainer's job)."""
    # the libraries' own import-time settings (DGL's import sets KMP_DUPLICATE_LIB_OK) are the baseline
    code = ("import os; import torch, ase, pandas; import crysgnn_zoo._dgl; before = dict(os.environ); "
            "import crysgnn_zoo, crysgnn_zoo.cli; "
            "changed = sorted(k for k in os.environ if os.environ.get(k) != before.get(k)); "
            "print(changed); assert not changed, changed")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:] + result.stdout
