"""Input no script should send, answered with a 400 naming the parameter and the fix, the
same on SQLite and PostgreSQL, never with a server error."""

import json

import pytest

from common.parsers import JSON_MAX_DEPTH


@pytest.mark.parametrize(
    ("query", "says"),
    [
        # PostgreSQL refuses offsets of 16 hours or more; Python accepts up to 24.
        ("updated_since=2020-01-01T00:00:00%2B16:00", "between -15:59 and +15:59"),
        ("updated_since=2020-01-01T00:00:00-23:59", "between -15:59 and +15:59"),
        # Valid, but out of range once converted to UTC (SQLite) or beyond PostgreSQL's years.
        ("updated_since=0001-01-01T00:00:00%2B01:00", "between the years 1 and 9999"),
        ("updated_since=9999-12-31T23:59:00-01:00", "between the years 1 and 9999"),
    ],
)
def test_a_moment_the_database_cannot_compare_is_refused_naming_the_filter(
    api, viewer, agent, api_error, query, says
):
    body = api_error(api(viewer).get(f"/api/agents/?{query}"), 400, field="updated_since")

    assert says in body["errors"]["updated_since"][0]
    assert body["message"].startswith("updated_since: ")


def test_the_deployment_history_refuses_such_a_moment_too(api, viewer, agent, api_error):
    response = api(viewer).get("/api/deployments/?since=2020-01-01T00:00:00%2B16:00")

    body = api_error(response, 400, field="since")
    assert "such as 2024-05-01T09:00:00+02:00" in body["errors"]["since"][0]


@pytest.mark.parametrize("offset", ["%2B15:59", "-15:59", "Z", ""])
def test_any_offset_the_database_keeps_is_accepted(api, viewer, agent, offset):
    response = api(viewer).get(f"/api/agents/?updated_since=2020-01-01T00:00:00{offset}")

    assert response.status_code == 200
    assert [found["id"] for found in response.json()["results"]] == [agent.pk]


def nested(depth: int) -> str:
    """A JSON body nested `depth` levels deep: {"tags": [[[…]]]}."""
    return '{"tags": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/agents/"),
        ("patch", "/api/agents/{id}/"),
        ("post", "/api/agents/{id}/deploy"),
        ("post", "/api/agents/{id}/test-results"),
        ("post", "/api/agents/{id}/rollback"),
    ],
)
@pytest.mark.parametrize("depth", [JSON_MAX_DEPTH + 1, 1_000, 100_000])
def test_json_nested_too_deep_is_refused_by_every_write_endpoint(
    api, owner, agent, api_error, db_state, method, path, depth
):
    before = db_state()

    response = getattr(api(owner), method)(
        path.format(id=agent.pk), nested(depth), content_type="application/json"
    )

    body = api_error(response, 400, code="json_too_deep")
    assert f"{JSON_MAX_DEPTH} levels" in body["message"]
    assert db_state() == before


def test_json_nested_up_to_the_limit_reaches_the_fields_checks(api, editor, agent, api_error):
    response = api(editor).patch(
        f"/api/agents/{agent.pk}/", nested(JSON_MAX_DEPTH), content_type="application/json"
    )

    api_error(response, 400, code="invalid", field="tags.0")


# Ids are ASCII digits: Python's \\d, str.isdigit() and int() also take other scripts' digits
# (full-width, Arabic-Indic) and superscripts (which int() then refuses).
DIGITS = {
    "full-width": "".join(chr(0xFF10 + digit) for digit in range(10)),
    "arabic-indic": "".join(chr(0x0660 + digit) for digit in range(10)),
    "superscript": "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079",
}


@pytest.mark.parametrize("script", DIGITS)
def test_an_id_in_digits_other_than_ascii_finds_nothing(api, viewer, agent, api_error, script):
    pk = str(agent.pk).translate(str.maketrans("0123456789", DIGITS[script]))
    client = api(viewer)

    api_error(client.get(f"/api/agents/{pk}/"), 404, code="not_found")
    api_error(client.get(f"/api/agents/{agent.pk}/versions/{pk}"), 404, code="not_found")
    api_error(client.get(f"/api/deployments/?agent={pk}"), 400, field="agent")
    api_error(client.get(f"/api/agents/{agent.pk}/versions/diff?from={pk}"), 400, field="from")


# --- bounds on what is stored -----------------------------------------------------------------

TEST_RESULT = {"duration": 30, "status": "passed"}


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({**TEST_RESULT, "duration": 1e308}, "duration", "at most 86,400 (24 hours)"),
        ({**TEST_RESULT, "duration": 86_400.5}, "duration", "at most 86,400 (24 hours)"),
        ({**TEST_RESULT, "notes": "n" * 5_001}, "notes", "5,000 characters"),
        ({**TEST_RESULT, "transcript": "\ud800"}, "transcript", "Surrogate characters"),
    ],
)
def test_a_test_result_beyond_its_bounds_is_refused(
    api, tester, agent, api_error, db_state, body, field, says
):
    before = db_state()

    response = api(tester).post(
        f"/api/agents/{agent.pk}/test-results", json.dumps(body), content_type="application/json"
    )

    body = api_error(response, 400, field=field)
    assert says in body["errors"][field][0]
    assert db_state() == before


def test_a_test_result_at_its_bounds_is_saved(api, tester, agent):
    body = {**TEST_RESULT, "duration": 86_400, "notes": "n" * 5_000}

    response = api(tester).post(f"/api/agents/{agent.pk}/test-results", body, format="json")

    assert response.status_code == 201
    assert response.json()["testResults"][0]["duration"] == 86_400


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/agents/", {"name": "A"}),
        ("patch", "/api/agents/{id}/", {}),
        ("put", "/api/agents/{id}/", {"name": "A"}),
    ],
)
def test_a_description_over_five_thousand_characters_is_refused(
    api, editor, agent, api_error, db_state, method, path, body
):
    before = db_state()

    response = getattr(api(editor), method)(
        path.format(id=agent.pk), {**body, "description": "d" * 5_001}, format="json"
    )

    body = api_error(response, 400, field="description")
    assert "5,000 characters" in body["errors"]["description"][0]
    assert db_state() == before


def test_a_description_of_five_thousand_characters_is_saved(api, editor, agent):
    response = api(editor).patch(
        f"/api/agents/{agent.pk}/", {"description": "d" * 5_000}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["description"] == "d" * 5_000
