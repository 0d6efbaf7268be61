"""The OpenAPI schema (/api/schema/) describes the API as it answers: every operation has a
summary and documents its errors in the one error shape; component names read well.
(tests/api/test_fuzz.py checks the answers themselves against it.)"""

import pytest

ERROR = {"$ref": "#/components/schemas/Error"}


@pytest.fixture(scope="module")
def schema():
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_every_operation_has_a_summary(schema):
    missing = [label for label, operation in operations(schema) if not operation.get("summary")]

    assert missing == []


def test_every_operation_documents_its_errors_in_the_error_shape(schema):
    for label, operation in operations(schema):
        errors = {code: body for code, body in operation["responses"].items() if code >= "400"}
        assert "401" in errors, label  # every operation needs credentials
        assert "503" in errors, label  # checking them takes a database connection
        if "{id}" in label:
            assert "404" in errors, label
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= set(errors), label
        if not label.startswith("GET"):
            assert "403" in errors, label
        for code, body in errors.items():
            assert body["content"]["application/json"]["schema"] == ERROR, (label, code)
            assert body["description"], (label, code)


@pytest.mark.parametrize(
    ("operation", "codes"),
    [
        ("POST /api/agents/{id}/deploy/", {"409"}),
        ("POST /api/agents/{id}/rollback/", {"409"}),
        ("DELETE /api/agents/{id}/", {"409"}),
        ("POST /api/agents/import/", {"409", "502"}),
        ("POST /api/agents/{id}/test-call/", {"409", "502"}),
    ],
)
def test_refusals_of_the_lifecycle_and_of_elevenlabs_are_documented(schema, operation, codes):
    documented = dict(operations(schema))[operation]["responses"]

    assert codes <= set(documented)


def test_the_error_component_is_the_error_shape(schema):
    error = schema["components"]["schemas"]["Error"]

    assert set(error["properties"]) == {"success", "message", "code", "errors"}
    assert set(error["required"]) == {"success", "message", "code", "errors"}


def test_component_names_do_not_repeat_themselves(schema):
    names = set(schema["components"]["schemas"])

    assert not [name for name in names if "RequestRequest" in name]
    assert {"DeployRequest", "RollbackRequest", "TestResultRequest", "StageEnum"} <= names


@pytest.mark.parametrize(
    ("component", "field"),
    [
        ("Agent", "last_synced_at"),
        ("Agent", "drift_detected_at"),
        ("AgentDeployment", "lastDeployedAt"),
        ("AgentDeployment", "liveVersion"),
    ],
)
def test_values_that_may_be_null_are_declared_nullable(schema, component, field):
    assert schema["components"]["schemas"][component]["properties"][field].get("nullable")
