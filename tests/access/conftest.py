"""One persona per role (and none, and anonymous) for the access tests."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

ROLE_PERSONAS = {
    "support": "bob",
    "operator": "alice",
    "approver": "carol",
    "admin": "root",
    "worker": "wendy",
    "none": "dave",
}


def make_user(username: str, *groups: str) -> User:
    user = User.objects.create_user(username=username, password="pw")
    for name in groups:
        group, _ = Group.objects.get_or_create(name=name)
        user.groups.add(group)
    return user


@pytest.fixture
def personas(db) -> dict[str, User]:
    """role name -> a user with only that role ("none": no group at all)."""
    return {role: make_user(name, *(() if role == "none" else (role,))) for role, name in ROLE_PERSONAS.items()}


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """HTTP Basic hashes the password on every request: a cheap hasher keeps the matrix fast."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
