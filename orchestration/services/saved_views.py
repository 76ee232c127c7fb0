"""Saved views of the instance list: a named query string, optionally shared with a group."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import IntegrityError, transaction

from ..exceptions import InvalidInput, NotFound
from ..instance_search import FILTER_PARAMS
from ..models import SavedView


def clean_query(query: str) -> str:
    """Only the list's filter parameters are kept (no page position, no stray parameters)."""
    pairs = [(k, v) for k, v in parse_qsl(query.lstrip("?"), keep_blank_values=False) if k in FILTER_PARAMS]
    return urlencode(pairs)


def save_view(owner: AbstractBaseUser, name: str, query: str, *, group: Group | None = None) -> SavedView:
    """Create or replace the owner's view of that name."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("a saved view needs a name")
    try:
        with transaction.atomic():
            view, _ = SavedView.objects.update_or_create(
                owner=owner, name=name, defaults={"query": clean_query(query), "shared_with_group": group}
            )
    except IntegrityError:
        raise InvalidInput(f"a view named '{name}' already exists") from None
    return view


def delete_view(owner: AbstractBaseUser, view_id: int) -> None:
    """Only the owner deletes a view; anyone else gets NotFound."""
    deleted, _ = SavedView.objects.filter(owner=owner, id=view_id).delete()
    if not deleted:
        raise NotFound(f"saved view {view_id} not found")
