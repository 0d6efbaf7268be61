"""What the sandbox holds, read for assertions."""


def only_agent(sandbox) -> dict:
    agents = sandbox.agents()
    assert len(agents) == 1, [agent["agent_id"] for agent in agents]
    return agents[0]


def main_versions(sandbox) -> list[dict]:
    agent = only_agent(sandbox)
    return agent["branches"][agent["main_branch_id"]]["versions"]


def config_of(version: dict) -> dict:
    return {key: version[key] for key in ("conversation_config", "platform_settings")}
