"""The import rules between the packages, checked on the source: the root knows the adapters, never the reverse."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "surveys": {"bot", "web", "analysis", "viktig"},
    "bot": {"viktig", "web", "analysis"},
    "web": {"viktig", "analysis", "bot"},
    "analysis": {"bot", "web", "viktig"},
}


def imported_packages(path: Path) -> set[str]:
    """Top-level packages a module imports, anywhere in it (inside functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_none_of_the_packages_above_it(package: str) -> None:
    offences = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in sorted((ROOT / package).rglob("*.py"))
    }
    assert {path: names for path, names in offences.items() if names} == {}
