"""Security settings: switched on by the environment for a site served over HTTPS, off for the
embedded default on http://127.0.0.1; headers on every answer; `check --deploy` clean under
the production settings that docs/operations.md documents."""

import os
import re
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from tests.factories import PASSWORD, UserFactory

BASE_DIR = Path(settings.BASE_DIR)
SHOWN = (
    "HTTPS",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
)
# Variables of this machine's environment that would change what is measured.
OURS = (*SHOWN, "SITE_URL", "CSP_REPORT_ONLY", "CSP_REPORT_URI", "DEBUG", "ALLOWED_HOSTS")


def run_with(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    base = {name: value for name, value in os.environ.items() if name not in OURS}
    base.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env={**base, **environment},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def settings_with(monkeypatch):
    """`settings_with(environment)`: the settings module's values when read with `environment`
    (and none of this machine's variables that would change them)."""

    def read(environment: dict[str, str]) -> dict:
        for name in OURS:
            monkeypatch.delenv(name, raising=False)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(BASE_DIR / "config" / "settings.py"))

    return read


def documented_production_environment() -> dict[str, str]:
    """The example environment of docs/operations.md, "Production security", with each
    `<placeholder>` filled in by a random value."""
    text = (BASE_DIR / "docs" / "operations.md").read_text()
    block = re.search(r"```sh\n# production environment\n(.*?)```", text, re.DOTALL)
    assert block, 'docs/operations.md has no "# production environment" example'
    environment = {}
    for line in block.group(1).splitlines():
        if line.strip() and not line.startswith("#"):
            name, value = line.split("=", 1)
            environment[name] = re.sub(r"<[^>]+>", lambda _: secrets.token_urlsafe(50), value)
    return environment


def test_deploy_checks_are_clean_under_the_documented_production_environment():
    finished = run_with(
        documented_production_environment(),
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )

    assert finished.returncode == 0, finished.stderr + finished.stdout
    assert "System check identified no issues" in finished.stdout


def test_the_embedded_default_serves_plain_http(settings_with):
    read = settings_with({})

    assert read["HTTPS"] is False
    assert read["SECURE_SSL_REDIRECT"] is False
    assert read["SECURE_PROXY_SSL_HEADER"] is None
    assert read["SECURE_HSTS_SECONDS"] == 0
    assert read["SESSION_COOKIE_SECURE"] is False
    assert read["CSRF_COOKIE_SECURE"] is False


def test_an_https_site_url_switches_everything_on(settings_with):
    read = settings_with({"SITE_URL": "https://switchboard.example.com"})

    assert {name: read[name] for name in SHOWN} == {
        "HTTPS": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
    }


def test_each_part_can_be_set_on_its_own(settings_with):
    read = settings_with(
        {
            "HTTPS": "true",
            "SECURE_HSTS_SECONDS": "3600",
            "SECURE_HSTS_PRELOAD": "false",
            "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Scheme",
        }
    )

    assert read["SECURE_HSTS_SECONDS"] == 3600
    assert read["SECURE_HSTS_PRELOAD"] is False
    assert read["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_SCHEME", "https")
    assert read["SESSION_COOKIE_SECURE"] is True


def test_an_empty_proxy_header_trusts_none(settings_with):
    read = settings_with({"HTTPS": "true", "SECURE_PROXY_SSL_HEADER": ""})

    assert read["SECURE_PROXY_SSL_HEADER"] is None


def test_a_malformed_proxy_header_stops_start_up_naming_it(settings_with):
    with pytest.raises(ImproperlyConfigured) as refused:
        settings_with({"HTTPS": "true", "SECURE_PROXY_SSL_HEADER": "X Forwarded: Proto"})

    assert "SECURE_PROXY_SSL_HEADER='X Forwarded: Proto' is not an HTTP header name" in str(
        refused.value
    )


def test_the_policy_can_be_tried_in_report_only_mode_reporting_to_a_collector(settings_with):
    read = settings_with(
        {"CSP_REPORT_ONLY": "true", "CSP_REPORT_URI": "https://csp.example.com/report"}
    )

    assert "CONTENT_SECURITY_POLICY" not in read
    directives = read["CONTENT_SECURITY_POLICY_REPORT_ONLY"]["DIRECTIVES"]
    assert directives["report-uri"] == "https://csp.example.com/report"
    assert directives["script-src"] == ["'self'"]


# --- what the answers carry ---------------------------------------------------------------


@pytest.fixture
def served_over_https(settings):
    """The settings HTTPS=true gives, behind a proxy that sets X-Forwarded-Proto."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True


def test_every_answer_carries_the_security_headers(client, db):
    for path in ("/app/login", "/api/agents/", "/admin/login/"):
        response = client.get(path)

        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["Referrer-Policy"] == "same-origin", path
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin", path
        assert response.headers["X-Frame-Options"] == "DENY", path
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy, path
        assert "unsafe-inline" not in policy, path
        assert "Strict-Transport-Security" not in response.headers, path


def test_a_report_only_policy_is_sent_as_such_and_not_enforced(client, db, settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = settings.CONTENT_SECURITY_POLICY
    del settings.CONTENT_SECURITY_POLICY

    response = client.get("/app/login")

    assert "script-src 'self'" in response.headers["Content-Security-Policy-Report-Only"]
    assert "Content-Security-Policy" not in response.headers


def test_over_https_plain_http_is_redirected_but_health_checks_are_not(
    client, db, served_over_https
):
    redirected = client.get("/app/login")
    health = client.get("/healthz")

    assert redirected.status_code == 301
    assert redirected.headers["Location"] == "https://testserver/app/login"
    assert health.status_code == 200


def test_over_https_answers_carry_hsts_and_cookies_are_secure(client, db, served_over_https):
    UserFactory(username="dana")
    proxied = {"HTTP_X_FORWARDED_PROTO": "https"}

    form = client.get("/app/login", **proxied)
    logged_in = client.post("/app/login", {"username": "dana", "password": PASSWORD}, **proxied)

    assert form.status_code == 200
    assert form.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )
    assert logged_in.status_code == 302
    for name in ("sessionid", "csrftoken"):
        cookie = logged_in.cookies[name]
        assert cookie["secure"] is True, name
        assert cookie["httponly"] is True, name
        assert cookie["samesite"] == "Lax", name


def test_over_plain_http_cookies_still_keep_away_from_scripts(client, db):
    UserFactory(username="dana")

    logged_in = client.post("/app/login", {"username": "dana", "password": PASSWORD})

    assert logged_in.status_code == 302
    for name in ("sessionid", "csrftoken"):
        cookie = logged_in.cookies[name]
        assert cookie["httponly"] is True, name
        assert cookie["samesite"] == "Lax", name
        assert not cookie["secure"], name
