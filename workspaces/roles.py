"""Roles, and what each allows: the one table of who may do what.

Roles include the ones below them: viewer < tester < editor < admin. Each action is allowed
from one role up. `require_role` (the services), the web UI's controls and the sentences both
show read this table, so no service, gate or template restates a role.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.db import models


class Role(models.IntegerChoices):
    VIEWER = 10, "viewer"
    TESTER = 20, "tester"
    EDITOR = 30, "editor"
    ADMIN = 40, "admin"

    @classmethod
    def from_name(cls, name: str) -> "Role":
        for role in cls:
            if role.label == name:
                return role
        raise ValueError(f"Unknown role {name!r}; use one of {cls.names_list()}.")

    @classmethod
    def names_list(cls) -> str:
        return ", ".join(role.label for role in cls)


class Action(StrEnum):
    TALK_TO_AGENT = "talk_to_agent"
    PLACE_TEST_CALL = "place_test_call"
    RECORD_TEST = "record_test"
    MANAGE_INVITES = "manage_invites"
    RUN_TESTS = "run_tests"
    MANAGE_TESTS = "manage_tests"
    CREATE_AGENT = "create_agent"
    IMPORT_AGENT = "import_agent"
    EDIT_AGENT = "edit_agent"
    SYNC_AGENT = "sync_agent"
    PULL_DRIFT = "pull_drift"
    DEPLOY_DRAFT = "deploy_draft"
    DEPLOY_TESTING = "deploy_testing"
    DEPLOY_PRODUCTION = "deploy_production"
    ROLLBACK = "rollback"
    OVERWRITE_DRIFT = "overwrite_drift"
    DELETE_AGENT = "delete_agent"  # deleting an agent archives it
    RESTORE_AGENT = "restore_agent"
    CHANGE_SETTINGS = "change_settings"
    MANAGE_MEMBERS = "manage_members"


@dataclass(frozen=True)
class Permission:
    role: Role  # the least role allowed
    to: str  # ends "You need the editor role in workspace 'acme' to …"
    doing: str  # starts "… needs the editor role."

    def needs(self, *, where: str = "") -> str:
        """Why someone below the role may not, as a control's hint says it."""
        return f"{self.doing} needs the {self.role.label} role{where}."


PERMISSIONS: dict[Action, Permission] = {
    Action.TALK_TO_AGENT: Permission(Role.TESTER, "talk to agents under test", "Talking to agents"),
    Action.PLACE_TEST_CALL: Permission(Role.TESTER, "place test calls", "Placing test calls"),
    Action.RECORD_TEST: Permission(Role.TESTER, "save test results", "Recording tests"),
    Action.MANAGE_INVITES: Permission(Role.EDITOR, "manage invite links", "Managing invite links"),
    Action.RUN_TESTS: Permission(Role.TESTER, "run agents' tests", "Running tests"),
    Action.MANAGE_TESTS: Permission(Role.EDITOR, "write agents' tests", "Writing tests"),
    Action.CREATE_AGENT: Permission(Role.EDITOR, "create agents", "Creating agents"),
    Action.IMPORT_AGENT: Permission(Role.EDITOR, "import agents", "Importing agents"),
    Action.EDIT_AGENT: Permission(Role.EDITOR, "edit agents", "Editing agents"),
    Action.SYNC_AGENT: Permission(Role.EDITOR, "sync agents", "Syncing agents"),
    Action.PULL_DRIFT: Permission(
        Role.EDITOR, "pull changes from ElevenLabs", "Pulling changes from ElevenLabs"
    ),
    Action.DEPLOY_DRAFT: Permission(Role.EDITOR, "deploy to draft", "Deploying to draft"),
    Action.DEPLOY_TESTING: Permission(Role.EDITOR, "deploy to testing", "Deploying to testing"),
    Action.DEPLOY_PRODUCTION: Permission(
        Role.ADMIN, "deploy to production", "Deploying to production"
    ),
    Action.ROLLBACK: Permission(Role.ADMIN, "roll back", "Rolling back"),
    Action.OVERWRITE_DRIFT: Permission(
        Role.ADMIN, "overwrite the agent on ElevenLabs", "Overwriting the agent on ElevenLabs"
    ),
    Action.DELETE_AGENT: Permission(Role.ADMIN, "archive agents", "Archiving agents"),
    Action.RESTORE_AGENT: Permission(Role.ADMIN, "restore agents", "Restoring agents"),
    Action.CHANGE_SETTINGS: Permission(
        Role.ADMIN, "change workspace settings", "Changing workspace settings"
    ),
    Action.MANAGE_MEMBERS: Permission(Role.ADMIN, "manage members", "Managing members"),
}


def role_for(action: Action) -> Role:
    return PERMISSIONS[action].role
