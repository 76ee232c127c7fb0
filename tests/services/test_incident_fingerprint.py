"""Incident fingerprints: the same cause with different identifiers is one group."""

from __future__ import annotations

import pytest

from orchestration.models.incidents import fingerprint


@pytest.mark.parametrize(
    "message",
    [
        "PaymentDeclined: card declined for order BULK-7",
        "PaymentDeclined: card declined for order ORD-4523",
        "PaymentDeclined: card declined for order TRI-12",
        "PaymentDeclined: card declined for order a1b2c3d4",
        "PaymentDeclined: card declined for order 0x1f",
        "PaymentDeclined: card declined for order INV_2024.03",
    ],
)
def test_messages_that_differ_only_in_an_identifier_share_a_fingerprint(message):
    assert fingerprint(message) == "PaymentDeclined: card declined for order <id>"


def test_different_causes_stay_apart():
    prints = {
        fingerprint("PaymentDeclined: card declined for order ORD-1"),
        fingerprint("PaymentDeclined: insufficient funds for order ORD-1"),
        fingerprint("ShipmentFailed: card declined for order ORD-1"),
        fingerprint("PaymentDeclined: card declined for customer ORD-1"),
    }
    assert len(prints) == 4


def test_plain_words_numbers_keys_and_quotes_keep_their_placeholders():
    message = "HTTP 502 from gateway after 99.5 ms for 123e4567-e89b-12d3-a456-426614174000 ('x')"
    assert fingerprint(message) == "HTTP <n> from gateway after <n> ms for <key> (<str>)"


def test_words_without_digits_are_not_identifiers():
    assert fingerprint("ValueError: not-a-number in field total_amount") == (
        "ValueError: not-a-number in field total_amount"
    )
