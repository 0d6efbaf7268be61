from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.errors import DomainError
from workspaces.roles import Role
from workspaces.services import account_bootstrap


class Command(BaseCommand):
    help = (
        "Create or reuse a workspace, a user and their membership, and print a new API token "
        "as the last line ('token: <key>'). Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", required=True, help="Workspace name.")
        parser.add_argument("--username", required=True)
        parser.add_argument("--role", required=True, choices=[role.label for role in Role])
        parser.add_argument("--password", help="Sets the password; omit for token-only users.")

    def handle(
        self,
        *args: Any,
        workspace: str,
        username: str,
        role: str,
        password: str | None,
        **options: Any,
    ) -> None:
        try:
            membership, key = account_bootstrap(
                workspace_name=workspace,
                username=username,
                role=Role.from_name(role),
                password=password,
            )
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"{membership.user.username} is {membership.get_role_display()} "
            f"in workspace '{membership.workspace.slug}'."
        )
        self.stdout.write(f"token: {key}")
