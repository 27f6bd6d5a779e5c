"""The data flow is one-way and packages talk through their roots only (STYLE.md §1)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("indexer", "embeddings", "search_api", "ui")
# who may import whom: ingest → store → indexes → search → fusion → review
ALLOWED = {
    "indexer": set(),
    "embeddings": set(),
    "search_api": {"indexer", "embeddings"},
    "ui": {"search_api", "indexer", "embeddings"},
}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_follow_the_data_flow_and_use_package_roots(package: str) -> None:
    problems = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, module in _imports(path):
            top = module.split(".")[0]
            if top not in PACKAGES or top == package:
                continue
            where = f"{path.relative_to(ROOT)}:{line} imports {module}"
            if top not in ALLOWED[package]:
                problems.append(f"{where}: {package} may not depend on {top}")
            elif module != top:
                problems.append(f"{where}: import from the package root '{top}' instead")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_declares_its_public_names(package: str) -> None:
    module = __import__(package)
    assert isinstance(module.__all__, list)
    for name in module.__all__:
        assert hasattr(module, name), f"{package}.__all__ names {name} but it is not there"


# Serving code: the API, the pages and the services they call. Training (fitting the model)
# and benchmarks are run by the CLI only (STYLE.md §6).
TRAINING_MODULES = ("search_api.training", "search_api.fusion.fit", "search_api.bench")
NOT_SERVING = ("search_api/training/", "search_api/cli/", "search_api/bench", "search_api/fusion/fit.py")  # bench*.py: every benchmark


def test_serving_never_imports_training_or_benchmarks() -> None:
    problems = []
    for package in ("search_api", "ui"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(NOT_SERVING):
                continue
            for line, module in _imports(path):
                if module.startswith(TRAINING_MODULES):
                    problems.append(f"{relative}:{line} imports {module}: serving must not import training or benchmarks")
            text = path.read_text(encoding="utf-8")
            problems += [f"{relative}: names {m} in a lazy import" for m in TRAINING_MODULES if f'"{m}' in text]
    assert not problems, "\n".join(problems)
