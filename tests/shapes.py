"""The seed's response shapes (its API reference is a contract), key by key."""

# Every agent the API returns has at least these keys.
AGENT_KEYS = {
    "id",
    "workspace",
    "name",
    "description",
    "tags",
    "config",
    "elevenlabs_agent_id",
    "sync_state",
    "created_at",
    "updated_at",
    "deployment",
}
DEPLOYMENT_KEYS = {"status", "version", "liveVersion", "lastDeployedAt", "deployedBy", "changelog"}
CHANGELOG_ENTRY_KEYS = {"version", "changes", "updatedAt", "updatedBy"}


def assert_first_release(deployment: dict, by) -> None:
    """The seed's `deployment` object of an agent just released to production as v2 by `by`."""
    assert set(deployment) == DEPLOYMENT_KEYS
    assert deployment["status"] == "production"
    assert deployment["version"] == 2
    assert deployment["liveVersion"] == 2
    assert deployment["lastDeployedAt"] is not None
    assert deployment["deployedBy"] == by.pk
    assert all(set(entry) == CHANGELOG_ENTRY_KEYS for entry in deployment["changelog"])
