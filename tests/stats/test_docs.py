"""The runnable examples in the docstrings of assay.stats stay true."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import assay.stats

MODULES = sorted(m.name for m in pkgutil.iter_modules(assay.stats.__path__, "assay.stats."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_stats_imports_nothing_else_from_assay() -> None:
    import ast
    from pathlib import Path

    for path in Path(assay.stats.__path__[0]).glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("assay"):
                assert node.module.startswith("assay.stats"), f"{path.name} imports {node.module}"
