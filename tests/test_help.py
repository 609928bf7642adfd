"""Help that tells the truth: no docstring markup, and every flag the README uses exists."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from crysgnn_zoo.cli import build_parser

README = Path(__file__).resolve().parents[1] / "README.md"
MARKUP = re.compile(r"``|:(class|func|mod|data|attr|meth):")


def _verbs() -> dict[str, str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return {name: p.format_help() for name, p in sub.choices.items()}


def test_no_help_text_shows_docstring_markup():
    helps = _verbs()
    assert {"train", "predict", "evaluate", "embed", "check", "datasets", "models", "demo"} <= set(helps)
    for verb, text in helps.items():
        assert not MARKUP.search(text), f"{verb} --help shows markup: {MARKUP.search(text).group(0)}"


def _readme_uses() -> list[tuple[str, str]]:
    """``(verb, --flag)`` for every flag a README line gives to ``crysgnn-zoo VERB``."""
    uses = []
    for line in README.read_text().splitlines():
        for m in re.finditer(r"crysgnn-zoo (\w+)([^`#\n]*)", line):
            uses += [(m.group(1), flag) for flag in re.findall(r"(--[a-z][a-z0-9-]*)", m.group(2))]
    return uses


@pytest.mark.parametrize("verb,flag", sorted(set(_readme_uses())))
def test_every_flag_the_readme_uses_is_in_that_verbs_help(verb, flag):
    helps = _verbs()
    assert verb in helps, f"the README uses `crysgnn-zoo {verb}`, which does not exist"
    assert flag in helps[verb], f"the README gives {flag} to `crysgnn-zoo {verb}`; its help has no such option"
