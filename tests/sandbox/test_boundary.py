"""The sandbox stands for ElevenLabs, a service of its own: it is no installed app, and with
ELEVENLABS_SANDBOX off the running product loads none of it. (That the product and the sandbox
never import each other is an import contract: `make lint`, pyproject.toml.)
"""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = "sandbox"


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
