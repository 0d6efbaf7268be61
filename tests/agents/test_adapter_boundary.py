"""The adapter is the only product code that imports the `elevenlabs` SDK."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_PACKAGES = [
    "config",
    "common",
    "workspaces",
    "agents",
    "deployments",
    "testruns",
    "sandbox",
]
ADAPTER = ROOT / "agents" / "adapter"


def sdk_imports(source: Path) -> list[str]:
    tree = ast.parse(source.read_text(), filename=str(source))
    found = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        found += [name for name in names if name == "elevenlabs" or name.startswith("elevenlabs.")]
    return found


def test_only_the_adapter_imports_the_sdk():
    offenders = {
        str(path.relative_to(ROOT)): imports
        for package in PRODUCT_PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if ADAPTER not in path.parents and (imports := sdk_imports(path))
    }

    assert offenders == {}


def test_the_adapter_does_import_it():
    # Guards the guard: if the walk above found nothing anywhere, it would pass vacuously.
    assert any(sdk_imports(path) for path in ADAPTER.rglob("*.py"))
