"""The import contract: the product and the sandbox never import each other.

The sandbox stands for ElevenLabs, a service of its own: it imports nothing of the product and
reads its own environment. The product talks to it over HTTP like to the real API, and imports
it in one place only, config/asgi.py, to mount it when ELEVENLABS_SANDBOX is on.
"""

import ast
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_PACKAGES = ["config", "common", "workspaces", "agents", "deployments", "testruns"]
SANDBOX = "sandbox"
# Where the product may import the sandbox: to mount it when it is on.
MOUNT = ROOT / "config" / "asgi.py"


def imported_packages(source: Path) -> set[str]:
    """The top-level packages `source` imports (relative imports stay in its own package)."""
    tree = ast.parse(source.read_text(), filename=str(source))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_the_sandbox_imports_nothing_of_the_product():
    offenders = {
        str(path.relative_to(ROOT)): sorted(found)
        for path in sources(SANDBOX)
        if (found := imported_packages(path) & {*PRODUCT_PACKAGES, "bench", "tests"})
    }

    assert offenders == {}


def test_the_product_imports_the_sandbox_only_to_mount_it():
    importers = [
        str(path.relative_to(ROOT))
        for package in PRODUCT_PACKAGES
        for path in sources(package)
        if SANDBOX in imported_packages(path)
    ]

    assert importers == [str(MOUNT.relative_to(ROOT))]


def test_the_sandbox_is_no_installed_app():
    assert not any(app.split(".")[0] == SANDBOX for app in settings.INSTALLED_APPS)


def test_with_the_sandbox_off_the_running_product_imports_none_of_it():
    # The web process (settings, URLs, the ASGI application) and the Celery app.
    code = (
        "import sys, django; django.setup(); "
        "import config.asgi, config.urls, config.celery; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sandbox'))"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "ELEVENLABS_SANDBOX": "off",
    }

    finished = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip().splitlines()[-1] == "[]"
