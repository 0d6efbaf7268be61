"""Tests of agents: create, read, replace, delete, list and summarise (`/v1/convai/agent-testing`).

Folders are not emulated: a test keeps the `parent_folder_id` it was given, lists filter on it,
and the folder endpoints answer 404 or 405.
"""

from sandbox.agent_tests import (
    TEST_TYPES,
    agent_test_json,
    agent_test_summary,
    literal_choices,
    parse_test_body,
)
from sandbox.api import (
    Request,
    Response,
    body_field,
    cursor_page,
    invalid,
    not_found,
    route,
    string_list,
)
from sandbox.records import AgentTest, new_id
from sandbox.store import store

SHARING_MODES = ("all", "shared_with_me")
SORT_MODES = ("default", "folders_first")
LISTED_TYPES = (*TEST_TYPES, "folder")


def agent_test_or_404(test_id: str) -> AgentTest:
    test = store.tests.get(test_id)
    if test is None:
        raise not_found("test", test_id)
    return test


async def agent_test_create(request: Request) -> Response:
    name, test_type, fields = parse_test_body(request.json())
    test = AgentTest(id=new_id("test_"), name=name, type=test_type, fields=fields)
    store.agent_test_save(test)
    return Response(200, {"id": test.id})


async def agent_test_get(request: Request, test_id: str) -> Response:
    return Response(200, agent_test_json(agent_test_or_404(test_id)))


async def agent_test_update(request: Request, test_id: str) -> Response:
    """A PUT: the body replaces the test whole (its type may change); it keeps its id."""
    test = agent_test_or_404(test_id)
    name, test_type, fields = parse_test_body(request.json())
    with store.lock:
        test.name, test.type, test.fields = name, test_type, fields
        store.agent_test_save(test)
    return Response(200, agent_test_json(test))


async def agent_test_delete(request: Request, test_id: str) -> Response:
    store.agent_test_delete(agent_test_or_404(test_id))
    return Response(204)


def _choice(request: Request, name: str, choices: tuple[str, ...]) -> str | None:
    value = request.param(name)
    if value and value not in choices:
        raise invalid(["query", name], literal_choices(choices), "literal_error")
    return value or None


async def agent_test_list(request: Request) -> Response:
    """Newest first, filtered by name (`search`), `types` (any of them) and `parent_folder_id`
    ("root": in no folder). There is one user, who created every test: `shared_with_me` lists
    none, and `created_by_user_id` filters nothing out."""
    search = (request.param("search") or "").lower()
    types = request.query.get("types", [])
    for index, test_type in enumerate(types):
        if test_type not in LISTED_TYPES:
            raise invalid(["query", "types", index], literal_choices(LISTED_TYPES), "literal_error")
    folder = request.param("parent_folder_id")
    shared_with_me = _choice(request, "sharing_mode", SHARING_MODES) == "shared_with_me"
    _choice(request, "sort_mode", SORT_MODES)  # no folders to put first
    request.bool_param("include_folders")  # likewise
    tests = [
        test
        for test in sorted(store.tests.values(), key=lambda test: test.seq, reverse=True)
        if search in test.name.lower()
        and (not types or test.type in types)
        and (
            not folder
            or test.fields.get("parent_folder_id") == (None if folder == "root" else folder)
        )
        and not shared_with_me
    ]
    page, next_cursor = cursor_page(tests, request)
    return Response(
        200,
        {
            "tests": [agent_test_summary(test) for test in page],
            "next_cursor": next_cursor,
            "has_more": next_cursor is not None,
        },
    )


async def agent_test_summaries(request: Request) -> Response:
    """Summaries of the tests asked for, by id; ids of no test are left out."""
    body = request.json()
    body_field(body, "test_ids", list, required=True)
    test_ids = string_list(body, "test_ids") or []
    if len(set(test_ids)) != len(test_ids):
        raise invalid(["body", "test_ids"], "Value error, test_ids has duplicates", "value_error")
    tests = [store.tests[test_id] for test_id in test_ids if test_id in store.tests]
    return Response(200, {"tests": {test.id: agent_test_summary(test) for test in tests}})


TEST = r"v1/convai/agent-testing/(?P<test_id>[^/]+)"

ROUTES = [
    route("POST", r"v1/convai/agent-testing/create", agent_test_create),
    route("POST", r"v1/convai/agent-testing/summaries", agent_test_summaries),
    route("GET", r"v1/convai/agent-testing", agent_test_list),
    route("GET", TEST, agent_test_get),
    route("PUT", TEST, agent_test_update),
    route("DELETE", TEST, agent_test_delete),
]
