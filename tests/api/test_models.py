"""Tests of the provider-neutral models and request types."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.sms_bridge.api import (
    Account,
    InboundBatch,
    MessageQuery,
    MessageStatus,
    Phone,
    Sim,
    id_order,
)

SENT = datetime(2026, 11, 22, 2, 15, 56, tzinfo=UTC)


def test_status_is_final() -> None:
    """Only delivered, failed, canceled and received messages are final."""
    final = {status for status in MessageStatus if status.is_final}
    assert final == {
        MessageStatus.DELIVERED,
        MessageStatus.FAILED,
        MessageStatus.CANCELED,
        MessageStatus.RECEIVED,
    }


def test_status_rank_follows_the_lifecycle() -> None:
    """A later report never ranks below an earlier one; every final state ranks highest."""
    lifecycle = [
        MessageStatus.UNKNOWN,
        MessageStatus.SCHEDULED,
        MessageStatus.PENDING,
        MessageStatus.QUEUED,
        MessageStatus.SENT,
        MessageStatus.DELIVERED,
    ]
    ranks = [status.rank for status in lifecycle]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) == len(ranks)
    top = MessageStatus.DELIVERED.rank
    assert all(status.rank == top for status in MessageStatus if status.is_final)
    assert MessageStatus.SENT.rank < MessageStatus.FAILED.rank


def test_sim_number_is_one_based() -> None:
    """SIM slots are 0-based on the wire, numbered from 1 for people."""
    assert Sim(slot=0, label="SIM #1").number == 1
    assert Sim(slot=1, label="SIM #2", detail="Free").number == 2


@pytest.mark.parametrize(
    ("detail", "phone_number", "operator"),
    [
        ("+33600000002", "+33600000002", None),
        ("06 12-34 (56)", "06 12-34 (56)", None),
        ("Free", None, "Free"),
        ("Orange F", None, "Orange F"),
        ("3", None, "3"),
        ("O2 - de", None, "O2 - de"),
        (None, None, None),
    ],
)
def test_sim_detail_is_a_number_or_an_operator(
    detail: str | None, phone_number: str | None, operator: str | None
) -> None:
    """The gateway's one detail is told apart: a phone number, or else the SIM name or carrier."""
    sim = Sim(slot=0, label="SIM #1", detail=detail)
    assert (sim.phone_number, sim.operator) == (phone_number, operator)


def test_phone_display_name_and_sim_lookup() -> None:
    """The name wins over the model, the model over a generic name; sims are found by slot."""
    sims = (Sim(slot=0, label="SIM #1"), Sim(slot=1, label="SIM #2"))
    assert Phone(id="1", name="Office phone", model="SM-A600FN").display_name == "Office phone"
    assert Phone(id="1", model="SM-A600FN").display_name == "SM-A600FN"
    assert Phone(id="7").display_name == "Phone 7"
    phone = Phone(id="1", sims=sims)
    assert phone.sim(1) == sims[1]
    assert phone.sim(2) is None
    assert Phone(id="2").sim(0) is None


def test_account_defaults() -> None:
    """Credits unknown and unlimited are both None; the flag tells them apart."""
    assert Account(credits=None).unlimited is False
    assert Account(credits=None, unlimited=True).unlimited is True


def test_inbound_batch_defaults_to_empty() -> None:
    """An empty batch carries neither messages, USSD answers nor delivery reports."""
    assert InboundBatch() == InboundBatch(messages=(), ussd_requests=(), delivery_reports=())


@pytest.mark.parametrize(
    ("ids", "ordered"),
    [
        (["10", "9", "100"], ["9", "10", "100"]),
        (["b", "2", "a", "1"], ["1", "2", "a", "b"]),
        (["٣", "2"], ["2", "٣"]),  # Arabic-Indic digits are not a number here
    ],
)
def test_id_order(ids: list[str], ordered: list[str]) -> None:
    """Decimal ids sort as numbers, any other id after them."""
    assert sorted(ids, key=id_order) == ordered


@pytest.mark.parametrize(
    ("query", "empty"),
    [
        (MessageQuery(), True),
        (MessageQuery(message_id="0"), False),
        (MessageQuery(group_id="g"), False),
        (MessageQuery(status=MessageStatus.FAILED), False),
        (MessageQuery(phone_id="1"), False),
        (MessageQuery(sim_slot=0), False),
        (MessageQuery(start=SENT), False),
        (MessageQuery(end=SENT), False),
    ],
)
def test_message_query_is_empty(query: MessageQuery, empty: bool) -> None:
    """Any one filter, even a falsy one like id 0 or slot 0, makes the query non-empty."""
    assert query.is_empty is empty
