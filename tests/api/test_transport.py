"""The shared transport: the failures the clients' own tests cannot reach.

Refused ports, unknown hosts, TLS failures, timeouts after sending and dropped connections are
checked through every client. What is left: a connection that cannot be opened in time, told
apart from an answer that does not come, and the rarer reasons a connection fails.
"""

from __future__ import annotations

from collections.abc import Iterator
import errno
import socket

import aiohttp
from aiohttp.client_reqrep import ConnectionKey
import pytest

from custom_components.sms_bridge.api import ConnectionErrorKind, GatewayConnectionError
from custom_components.sms_bridge.api.transport import Transport, connect_failure


@pytest.fixture
def full_listener() -> Iterator[int]:
    """Return the port of a loopback listener whose accept queue is full: connecting hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    waiting = []
    # Linux keeps one more connection than the backlog; later handshakes go unanswered.
    for _ in range(3):
        client = socket.socket()
        client.setblocking(False)
        client.connect_ex(("127.0.0.1", port))
        waiting.append(client)
    try:
        yield port
    finally:
        for client in waiting:
            client.close()
        listener.close()


async def test_connection_not_opened_in_time_sent_nothing(full_listener: int) -> None:
    """A connection that cannot be opened in time is a timeout that sent nothing."""
    async with aiohttp.ClientSession() as session:
        transport = Transport(session, "SMSC", timeout=5, connect_timeout=0.2)
        with pytest.raises(GatewayConnectionError) as err:
            await transport.post(f"http://127.0.0.1:{full_listener}/sys/send.php", form={})
    assert err.value.kind is ConnectionErrorKind.TIMEOUT
    assert err.value.request_sent is False
    assert str(err.value) == "Cannot connect to SMSC: timed out"


@pytest.mark.parametrize(
    ("os_error", "kind"),
    [
        (TimeoutError(errno.ETIMEDOUT, "Connection timed out"), ConnectionErrorKind.TIMEOUT),
        (OSError(errno.EHOSTUNREACH, "No route to host"), ConnectionErrorKind.UNREACHABLE),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), ConnectionErrorKind.UNREACHABLE),
    ],
)
def test_operating_system_connect_errors(os_error: OSError, kind: ConnectionErrorKind) -> None:
    """The system's own connect failures, which no loopback socket produces, are told apart."""
    key = ConnectionKey("sms.example.com", 443, True, True, None, None, None)
    assert connect_failure(aiohttp.ClientConnectorError(key, os_error)) is kind
