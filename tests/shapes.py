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
