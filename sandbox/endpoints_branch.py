"""An agent's branches, versions and deployments (its traffic split between branches)."""

from sandbox.api import (
    Location,
    Request,
    Response,
    body_field,
    invalid,
    not_found,
    refusal,
    route,
)
from sandbox.endpoints_agent import (
    ACCESS_INFO,
    AGENT_ID,
    agent_or_404,
    branch_or_404,
    version_or_404,
)
from sandbox.records import (
    TRAFFIC_PERCENTAGE_SCALE,
    Agent,
    Branch,
    BranchNameTaken,
    Deployment,
    Version,
)
from sandbox.store import store

RECENT_VERSIONS = 10


def version_json(version: Version) -> dict:
    """AgentVersionMetadata."""
    return {
        "id": version.id,
        "agent_id": version.agent_id,
        "branch_id": version.branch_id,
        "version_description": version.description,
        "seq_no_in_branch": version.seq_no_in_branch,
        "time_committed_secs": version.time_committed_secs,
        "parents": {
            "in_branch_parent_id": version.in_branch_parent_id,
            "out_of_branch_parent_id": version.out_of_branch_parent_id,
        },
        "access_info": ACCESS_INFO,
    }


def branch_summary(agent: Agent, branch: Branch) -> dict:
    """AgentBranchSummary, as branches are listed."""
    return {
        "id": branch.id,
        "name": branch.name,
        "agent_id": agent.agent_id,
        "description": branch.description,
        "created_at": branch.created_at,
        "last_committed_at": branch.last_committed_at,
        "is_archived": branch.is_archived,
        "current_live_percentage": agent.traffic.get(branch.id, 0.0),
        "parent_branch_id": branch.parent_branch_id,
        "access_info": ACCESS_INFO,
    }


def branch_json(agent: Agent, branch: Branch) -> dict:
    """AgentBranchResponse: the summary with its parent and latest versions spelled out."""
    parent = agent.branches.get(branch.parent_branch_id or "")
    detail = branch_summary(agent, branch)
    del detail["parent_branch_id"]
    return {
        **detail,
        "parent_branch": {"id": parent.id, "name": parent.name} if parent else None,
        "most_recent_versions": [
            version_json(version) for version in reversed(branch.versions[-RECENT_VERSIONS:])
        ],
    }


def name_taken(name: str) -> Exception:
    return refusal(409, "branch_name_taken", f"This agent already has a branch named {name!r}.")


async def branch_list(request: Request, agent_id: str) -> Response:
    agent = agent_or_404(agent_id)
    include_archived = request.bool_param("include_archived") or False
    limit = request.int_param("limit", default=100, minimum=1, maximum=1000)
    branches = [
        branch for branch in agent.branches.values() if include_archived or not branch.is_archived
    ]
    return Response(
        200,
        {
            "results": [branch_summary(agent, branch) for branch in branches[:limit]],
            "meta": {"total": len(branches), "page": 1, "page_size": limit},
        },
    )


async def branch_create(request: Request, agent_id: str) -> Response:
    agent = agent_or_404(agent_id)
    body = request.json()
    parent_version_id = body_field(body, "parent_version_id", str, required=True)
    name = body_field(body, "name", str, required=True)
    description = body_field(body, "description", str, required=True)
    conversation_config = body_field(body, "conversation_config", dict)
    platform_settings = body_field(body, "platform_settings", dict)
    version_or_404(agent, parent_version_id)
    try:
        branch = store.branch_create(
            agent,
            parent_version_id=parent_version_id,
            name=name,
            description=description,
            conversation_config=conversation_config,
            platform_settings=platform_settings,
        )
    except BranchNameTaken:
        raise name_taken(name) from None
    return Response(200, {"created_branch_id": branch.id, "created_version_id": branch.tip.id})


async def branch_get(request: Request, agent_id: str, branch_id: str) -> Response:
    agent = agent_or_404(agent_id)
    return Response(200, branch_json(agent, branch_or_404(agent, branch_id)))


async def branch_patch(request: Request, agent_id: str, branch_id: str) -> Response:
    agent = agent_or_404(agent_id)
    branch = branch_or_404(agent, branch_id)
    body = request.json()
    name = body_field(body, "name", str)
    try:
        store.branch_update(
            branch,
            name=name,
            description=body_field(body, "description", str),
            is_archived=body_field(body, "is_archived", bool),
        )
    except BranchNameTaken:
        raise name_taken(name) from None
    return Response(200, branch_json(agent, branch))


async def version_get(request: Request, agent_id: str, version_id: str) -> Response:
    return Response(200, version_json(version_or_404(agent_or_404(agent_id), version_id)))


def requested_share(item: object, loc: Location) -> tuple[str, float]:
    """One request of a deployment: (branch id, its share of traffic)."""
    if not isinstance(item, dict):
        raise invalid(list(loc), "Input should be a valid dictionary", "dict_type")
    branch_id = body_field(item, "branch_id", str, required=True, loc=loc)
    strategy = body_field(item, "deployment_strategy", dict, required=True, loc=loc)
    loc = (*loc, "deployment_strategy")
    if body_field(strategy, "type", str, loc=loc) not in (None, "percentage"):
        raise invalid([*loc, "type"], "Input should be 'percentage'", "literal_error")
    share = body_field(strategy, "traffic_percentage", float, required=True, loc=loc)
    if not 0 <= share <= TRAFFIC_PERCENTAGE_SCALE:
        raise invalid(
            [*loc, "traffic_percentage"],
            f"traffic_percentage should be between 0 and {TRAFFIC_PERCENTAGE_SCALE:g}",
            "range",
        )
    return branch_id, float(share)


def requested_traffic(agent: Agent, body: dict) -> dict[str, float]:
    """Branch id -> share from a deployment request; the shares must add up to the scale."""
    deployment_request = body_field(body, "deployment_request", dict, required=True)
    where: Location = ("body", "deployment_request", "requests")
    items = body_field(deployment_request, "requests", list, required=True, loc=where[:-1])
    traffic: dict[str, float] = {}
    for index, item in enumerate(items):
        branch_id, share = requested_share(item, (*where, index))
        if branch_id in traffic:
            raise invalid([*where, index, "branch_id"], "A branch may appear once", "value_error")
        if branch_id not in agent.branches:
            raise not_found("branch", branch_id)
        traffic[branch_id] = share
    total = sum(traffic.values())
    if abs(total - TRAFFIC_PERCENTAGE_SCALE) > 1e-6:
        raise invalid(
            list(where),
            f"The traffic_percentage values must add up to {TRAFFIC_PERCENTAGE_SCALE:g} "
            f"(percent); they add up to {total:g}",
            "value_error",
        )
    return traffic


def deployment_json(deployment: Deployment, *, is_active: bool) -> dict:
    """AgentDeploymentHistoryItem."""
    return {
        "id": deployment.id,
        "traffic_percentage_branch_id_map": deployment.traffic,
        "deployed_at_unix_secs": deployment.deployed_at,
        "is_active": is_active,
        "source": "manual",
        "access_info": ACCESS_INFO,
    }


async def deployment_create(request: Request, agent_id: str) -> Response:
    agent = agent_or_404(agent_id)
    deployment = store.deploy(agent, requested_traffic(agent, request.json()))
    return Response(200, {"traffic_percentage_branch_id_map": deployment.traffic})


async def deployment_list(request: Request, agent_id: str) -> Response:
    """The traffic split history, newest (the live split) first, by page (from 1)."""
    agent = agent_or_404(agent_id)
    page = request.int_param("page", default=1, minimum=1, maximum=10**6)
    size = request.int_param("page_size", default=30, minimum=1, maximum=100)
    history = list(reversed(agent.deployments))
    return Response(
        200,
        {
            "results": [
                deployment_json(deployment, is_active=deployment is agent.deployments[-1])
                for deployment in history[(page - 1) * size : page * size]
            ],
            "meta": {"total": len(history), "page": page, "page_size": size},
        },
    )


BRANCH = rf"v1/convai/agents/{AGENT_ID}/branches/(?P<branch_id>[^/]+)"
DEPLOYMENTS = rf"v1/convai/agents/{AGENT_ID}/deployments"

ROUTES = [
    route("GET", rf"v1/convai/agents/{AGENT_ID}/branches", branch_list),
    route("POST", rf"v1/convai/agents/{AGENT_ID}/branches", branch_create),
    route("GET", BRANCH, branch_get),
    route("PATCH", BRANCH, branch_patch),
    route("GET", rf"v1/convai/agents/{AGENT_ID}/versions/(?P<version_id>[^/]+)", version_get),
    route("POST", DEPLOYMENTS, deployment_create),
    route("GET", DEPLOYMENTS, deployment_list),
]
