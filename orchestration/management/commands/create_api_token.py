"""Print the API token of a user (created on first use): `manage.py create_api_token USER`.

--create --role worker   create the user first (no password: token only) and add a role
--reset                  replace an existing token (the old one stops working)
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from orchestration import access


class Command(BaseCommand):
    help = "Print (and create if needed) the REST API token of a user."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--create", action="store_true", help="create the user if it does not exist (unusable password)"
        )
        parser.add_argument(
            "--role", action="append", default=[], choices=access.ROLES, help="add this role (repeatable)"
        )
        parser.add_argument("--reset", action="store_true", help="replace the existing token")

    @transaction.atomic
    def handle(self, *args, username: str, create: bool, role: list[str], reset: bool, **options) -> None:
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is None:
            if not create:
                raise CommandError(f"no user '{username}' (pass --create to create it)")
            user = User(username=username)
            user.set_unusable_password()
            user.save()
        for name in role:
            group = Group.objects.filter(name=name).first()
            if group is None:
                raise CommandError(f"role '{name}' does not exist: run migrate")
            user.groups.add(group)
        if reset:
            Token.objects.filter(user=user).delete()
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
