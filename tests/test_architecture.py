"""Dependencies point inward: the domain core imports no file, Excel, YAML or CLI library."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[1] / "addin" / "domain"
FORBIDDEN = {
    "openpyxl", "xlsxwriter", "xlwings", "python_calamine", "ruamel", "yaml", "pydantic", "typer", "rich",
    "click", "csv", "io", "os", "pathlib", "shutil", "tempfile", "zipfile", "sqlite3", "subprocess", "socket",
    "urllib", "requests", "holidays", "pycountry", "addin.io", "addin.config", "addin.cli", "addin.service",
}


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(DOMAIN.glob("*.py")), ids=lambda p: p.name)
def test_domain_module_imports_no_io_library(path):
    bad = sorted(m for m in imported_modules(path)
                 if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))
    assert bad == [], f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", sorted((DOMAIN.parent).rglob("*.py")), ids=lambda p: str(p.relative_to(DOMAIN.parent)))
def test_modules_stay_small(path):
    """Small modules with one responsibility: about 400 lines at most."""
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 420
