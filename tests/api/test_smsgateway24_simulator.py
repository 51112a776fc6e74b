"""The SmsGateway24 simulator's wire format, driven with plain HTTP requests.

The client always posts URL-encoded forms; the service (and so the simulator) also reads the
query string and multipart forms, and a few methods the client does not use.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
import json
from typing import Any

import aiohttp
import pytest

from tests.simulator.smsgateway24 import (
    BAD_DATAJSON,
    DEVICE_NOT_FOUND,
    EMAIL,
    LOGIN_FAILED,
    PASSWORD,
    SAVED,
    WRONG_DATE,
    WRONG_SIM,
    DeviceStatus,
    SmsGateway24Simulator,
)


@pytest.fixture
async def sim() -> AsyncGenerator[SmsGateway24Simulator]:
    """Run an SmsGateway24 simulator on a free loopback port."""
    simulator = SmsGateway24Simulator()
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


async def call(
    session: aiohttp.ClientSession,
    sim: SmsGateway24Simulator,
    method: str,
    *,
    query: dict[str, str] | None = None,
    data: Any = None,
) -> dict[str, Any]:
    """Call a method with GET (``query`` only) or POST, and return the decoded answer."""
    url = f"{sim.url}/getdata/{method}"
    verb = "POST" if data is not None else "GET"
    async with session.request(verb, url, params=query, data=data) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        answer: dict[str, Any] = json.loads(await response.text())
        return answer


async def test_every_encoding_is_read(
    session: aiohttp.ClientSession, sim: SmsGateway24Simulator
) -> None:
    """A token by GET query string, a send as multipart, another URL-encoded."""
    login = await call(session, sim, "gettoken", query={"email": EMAIL, "pass": PASSWORD})
    assert login["error"] == 0
    token = login["token"]
    form = aiohttp.FormData({"token": token, "sendto": "+491", "body": "a", "device_id": "1297"})
    form.add_field("sim", "1", content_type="text/plain")  # forces multipart
    form.add_field("file", b"ignored", filename="x.bin")
    multipart = await call(session, sim, "addsms", data=form)
    assert multipart == {"error": 0, "sms_id": multipart["sms_id"], "message": SAVED}
    assert sim.sms[multipart["sms_id"]]["sim"] == 1
    encoded = await call(
        session,
        sim,
        "addsms",
        query={"token": token},
        data={"sendto": "+492,+493", "body": "b", "device_id": "1576"},
    )
    assert [row["sendto"] for row in sim.sms.values()] == ["+491", "+492", "+493"]
    assert encoded["sms_id"] == multipart["sms_id"] + 1  # the first of a comma list
    assert [r.method for r in sim.requests] == ["GET", "POST", "POST"]


async def test_login_refused_and_unknown_method(
    session: aiohttp.ClientSession, sim: SmsGateway24Simulator
) -> None:
    """Wrong credentials and missing tokens have the documented error; unknown methods 404."""
    assert await call(session, sim, "gettoken", data={"email": EMAIL, "pass": "x"}) == {
        "error": 1,
        "message": LOGIN_FAILED,
    }
    assert (await call(session, sim, "getalldevices", data={}))["message"] == LOGIN_FAILED
    async with session.get(f"{sim.url}/getdata/nosuchmethod") as response:
        assert response.status == 404


async def test_smstosend_with_password(
    session: aiohttp.ClientSession, sim: SmsGateway24Simulator
) -> None:
    """The e-mail + password variant of addsms."""
    fields = {"email": EMAIL, "pass": PASSWORD, "sendto": "+491", "body": "x", "device_id": "1297"}
    answer = await call(session, sim, "smstosend", data=fields)
    assert sim.sms[answer["sms_id"]]["body"] == "x"
    fields["pass"] = "wrong"
    assert (await call(session, sim, "smstosend", data=fields))["message"] == LOGIN_FAILED


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"body": "x", "device_id": 1297}, "Field sendto is required"),
        ({"sendto": "+491", "body": "x", "device_id": 5}, DEVICE_NOT_FOUND),
        ({"sendto": "+491", "body": "x", "device_id": 1297, "sim": 3}, WRONG_SIM),
        ({"sendto": "+491", "body": "x", "device_id": 1297, "timetosend": "soon"}, WRONG_DATE),
        ({"sendto": "+491", "body": "x", "device_id": "a"}, "Field device_id must be a number"),
    ],
)
async def test_bulk_refusals_save_nothing(
    session: aiohttp.ClientSession,
    sim: SmsGateway24Simulator,
    entry: dict[str, Any],
    message: str,
) -> None:
    """One bad entry refuses the whole bulk request."""
    good = {"sendto": "+490", "body": "ok", "device_id": 1297}
    datajson = json.dumps({"token": sim.issue_token(), "smsdata": [good, entry]})
    answer = await call(session, sim, "addalotofsms", data={"datajson": datajson})
    assert answer == {"error": 1, "message": message}
    assert sim.sms == {}


@pytest.mark.parametrize("datajson", ["{", "[]", '{"smsdata": []}', '{"smsdata": [1]}'])
async def test_bulk_unreadable(
    session: aiohttp.ClientSession, sim: SmsGateway24Simulator, datajson: str
) -> None:
    """A datajson that is not the documented object is refused."""
    if datajson.startswith('{"'):
        data = json.loads(datajson) | {"token": sim.issue_token()}
        datajson = json.dumps(data)
    answer = await call(session, sim, "addalotofsms", data={"datajson": datajson})
    assert answer == {"error": 1, "message": BAD_DATAJSON}


async def test_getallsms_options(
    session: aiohttp.ClientSession, sim: SmsGateway24Simulator
) -> None:
    """Count only, newest first, a number filter, an unknown zone."""
    token = sim.issue_token()
    for number in ("+491", "+492", "+4912"):
        sim.store_sms(number, "x", 1297)
    assert await call(session, sim, "getallsms", data={"token": token, "onlycount": "1"}) == {
        "error": 0,
        "count": 3,
        "message": "Ok",
    }
    answer = await call(
        session, sim, "getallsms", data={"token": token, "orderbydesc": "1", "phone": "+491"}
    )
    assert [row["sendto"] for row in answer["smss"].values()] == ["+4912", "+491"]
    answer = await call(session, sim, "getallsms", data={"token": token, "timezone": "Nowhere"})
    assert answer == {"error": 1, "message": "Unknown timezone"}
    answer = await call(session, sim, "getallsms", data={"token": token, "begindate": "2099-01-01"})
    assert answer["smss"] == []


async def test_automatic_mode(sim: SmsGateway24Simulator) -> None:
    """With a status interval, phones are seen and messages move on their own."""
    await sim.stop()
    automatic = SmsGateway24Simulator(status_interval=0.05)
    await automatic.start()
    try:
        offline = automatic.add_phone("Spare", online=False, sims=2)
        moving = automatic.store_sms("+491", "x", 1297)
        stuck = automatic.store_sms("+492", "x", offline.id)
        for _ in range(100):
            if moving["status"] == 7:
                break
            await asyncio.sleep(0.05)
        assert moving["status"] == 7
        assert stuck["status"] == 1
        assert len(offline.siminfo) == 2
    finally:
        await automatic.stop()
    with pytest.raises(RuntimeError):
        _ = automatic.url


async def test_knobs_where_the_page_is_silent(
    session: aiohttp.ClientSession, sim: SmsGateway24Simulator
) -> None:
    """gettoken by one method only (405 otherwise), getdevicestatus absent by default or in each
    of its other readings, getallsms rows without a SIM unless asked."""
    sim.token_methods = frozenset({"GET"})
    url = f"{sim.url}/getdata/gettoken"
    async with session.post(url, data={"email": EMAIL, "pass": PASSWORD}) as response:
        assert (response.status, response.headers["Allow"]) == (405, "GET")
    token = (await call(session, sim, "gettoken", query={"email": EMAIL, "pass": PASSWORD}))[
        "token"
    ]

    status_url = f"{sim.url}/getdata/getdevicestatus"
    fields = {"token": token, "device_id": "1297"}
    expected = {
        DeviceStatus.ABSENT: (404, "text/plain"),
        DeviceStatus.HTTP_500: (500, "text/html"),
        DeviceStatus.HTML_PAGE: (200, "text/html"),
        DeviceStatus.API_ERROR: (200, "application/json"),
        DeviceStatus.PRESENT: (200, "application/json"),
    }
    for reading, (status, content_type) in expected.items():
        sim.device_status = reading
        async with session.post(status_url, data=fields) as response:
            assert (response.status, response.content_type) == (status, content_type), reading
    assert (await call(session, sim, "getdevicestatus", data=fields))["online"] is True

    sim.store_sms("+491", "x", 1297, sim=1)
    (row,) = (await call(session, sim, "getallsms", data={"token": token}))["smss"].values()
    assert "sim" not in row
    assert (await call(session, sim, "getallsms", data={"token": token, "sim": "0"}))["smss"] == []
    sim.rows_with_sim = True
    (row,) = (await call(session, sim, "getallsms", data={"token": token}))["smss"].values()
    assert row["sim"] == 1
