from __future__ import annotations

from orchestration.keys import new_key


def test_keys_made_in_one_process_sort_in_creation_order():
    keys = [new_key() for _ in range(5000)]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def test_keys_are_version_7_with_the_rfc_variant():
    key = new_key()
    assert key.version == 7
    assert key.variant == "specified in RFC 4122"
