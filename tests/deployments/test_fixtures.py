from agents.models import Status


def test_agent_fixture_reaches_production(agent_in):
    agent = agent_in(Status.PRODUCTION)
    assert agent.status == Status.PRODUCTION
    assert agent.version == 2
