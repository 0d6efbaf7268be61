"""Who is calling: API tokens for scripts, the session (with CSRF) for the browser."""

import hashlib

import pytest
from rest_framework.test import APIClient

from agents.models import VoiceAgent
from tests.factories import PASSWORD
from workspaces.models import ApiToken
from workspaces.services import api_token_create, api_token_revoke


def token_client(key: str, **kwargs) -> APIClient:
    client = APIClient(**kwargs)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def create_agent(client, **kwargs):
    return client.post("/api/agents/", {"name": "Via the API"}, format="json", **kwargs)


# --- tokens ---------------------------------------------------------------------------------


def test_a_valid_token_authenticates_its_user(editor, agent):
    _, key = api_token_create(user=editor, name="ci")

    response = token_client(key).get("/api/agents/")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [agent.pk]


def test_a_token_records_when_it_was_last_used(editor, agent):
    token, key = api_token_create(user=editor, name="ci")

    token_client(key).get("/api/agents/")

    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_token_is_stored_only_as_its_hash(editor):
    token, key = api_token_create(user=editor, name="ci")

    token.refresh_from_db()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.key_hash != key
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert not any(key in str(value) for value in stored.values())


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Token not-a-real-key", id="unknown-key"),
        pytest.param("Token", id="no-key"),
        pytest.param("Token two words", id="key-with-spaces"),
    ],
)
def test_a_bad_token_is_refused_with_the_error_shape(api_error, db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/agents/")

    api_error(response, 401, code="authentication_failed")
    assert response["WWW-Authenticate"] == "Token"


HOW_TO_SEND = "Send the header as `Authorization: Token <key>`."


@pytest.mark.parametrize(
    ("header", "says"),
    [
        pytest.param("0123abcd", "must start with `Token `", id="key-alone"),
        pytest.param("Bearer 0123abcd", "must start with `Token `", id="another-scheme"),
        pytest.param("Token", "has no key", id="no-key"),
        pytest.param("Token two words", "key has no spaces", id="key-with-spaces"),
    ],
)
def test_a_malformed_authorization_header_says_what_is_wrong_and_how_to_send_it(
    api_error, db, header, says
):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/agents/")

    body = api_error(response, 401)
    assert says in body["message"]
    assert body["message"].endswith(HOW_TO_SEND)
    assert body["code"] in {"not_authenticated", "authentication_failed"}
    assert response["WWW-Authenticate"] == "Token"


def test_another_scheme_beside_a_session_leaves_the_session_in_charge(browser, editor, agent):
    """A proxy in front of the app may add its own Authorization header (Basic, say): a
    logged-in browser keeps working."""
    browser.force_login(editor)

    response = browser.get(f"/api/agents/{agent.pk}/", HTTP_AUTHORIZATION="Basic dXNlcjpwdw==")

    assert response.status_code == 200


def test_a_revoked_token_is_refused_with_the_error_shape(editor, agent, api_error, db_state):
    token, key = api_token_create(user=editor, name="ci")
    api_token_revoke(token=token)
    before = db_state()

    response = create_agent(token_client(key))

    body = api_error(response, 401, code="authentication_failed")
    assert "revoked" in body["message"]
    assert db_state() == before


def test_revoking_one_token_leaves_the_users_other_tokens_working(editor):
    revoked, revoked_key = api_token_create(user=editor, name="old")
    _, key = api_token_create(user=editor, name="new")
    api_token_revoke(token=revoked)

    assert token_client(revoked_key).get("/api/agents/").status_code == 401
    assert token_client(key).get("/api/agents/").status_code == 200


def test_an_inactive_users_token_is_refused(editor, api_error, db_state):
    _, key = api_token_create(user=editor, name="ci")
    editor.is_active = False
    editor.save()
    before = db_state()

    response = create_agent(token_client(key))

    api_error(response, 401, code="authentication_failed")
    assert db_state() == before


def test_a_token_needs_no_csrf_token(editor, workspace):
    _, key = api_token_create(user=editor, name="ci")

    response = create_agent(token_client(key, enforce_csrf_checks=True))

    assert response.status_code == 201


# --- the browser's session ------------------------------------------------------------------


@pytest.fixture
def browser():
    """A client that, like a browser, must send the CSRF token on unsafe requests."""
    return APIClient(enforce_csrf_checks=True)


def csrf_token(client) -> str:
    client.get("/admin/login/")  # any page with a form sets the cookie, as for the web UI
    return client.cookies["csrftoken"].value


def test_a_logged_in_user_reads_through_the_session(browser, editor, agent):
    assert browser.login(username=editor.username, password=PASSWORD)

    response = browser.get(f"/api/agents/{agent.pk}/")

    assert response.status_code == 200


def test_a_session_write_with_the_csrf_token_is_accepted(browser, editor, workspace):
    browser.force_login(editor)

    response = create_agent(browser, HTTP_X_CSRFTOKEN=csrf_token(browser))

    assert response.status_code == 201
    assert VoiceAgent.objects.filter(name="Via the API").exists()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/agents/", {"name": "Forged"}),
        ("patch", "/api/agents/{id}/", {"name": "Forged"}),
        ("delete", "/api/agents/{id}/", None),
        ("post", "/api/agents/{id}/deploy", {"status": "testing"}),
        ("post", "/api/agents/{id}/test-results", {"duration": 1, "status": "passed"}),
    ],
)
def test_a_session_write_without_the_csrf_token_is_refused(
    browser, owner, agent, api_error, db_state, method, path, body
):
    browser.force_login(owner)
    before = db_state()

    response = getattr(browser, method)(path.format(id=agent.pk), body, format="json")

    assert "CSRF" in api_error(response, 403)["message"]
    assert db_state() == before


def test_a_session_write_with_a_wrong_csrf_token_is_refused(
    browser, editor, workspace, api_error, db_state
):
    browser.force_login(editor)
    csrf_token(browser)
    before = db_state()

    response = create_agent(browser, HTTP_X_CSRFTOKEN="x" * 32)

    assert "CSRF" in api_error(response, 403)["message"]
    assert db_state() == before


def test_an_inactive_users_session_is_not_a_login(browser, editor, agent, api_error):
    browser.force_login(editor)
    editor.is_active = False
    editor.save()

    api_error(browser.get(f"/api/agents/{agent.pk}/"), 401, code="not_authenticated")


def test_no_credentials_at_all_is_a_401_asking_for_a_token(db, api_error):
    response = APIClient().get("/api/agents/")

    api_error(response, 401, code="not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
