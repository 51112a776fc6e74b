"""Figures for webhook bodies built to stall the event loop, parsed by the SemySMS client.

SemySMS signs nothing, so anyone with the webhook URL can post any body up to the size cap.
Each body is handed to the client as it would arrive; the figure is the time one takes to be
read or refused, the event loop blocked meanwhile. Run with ``scripts/bench``; asserts nothing.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import aiohttp

from custom_components.sms_bridge.api import SmsBridgeError, WebhookRequest
from custom_components.sms_bridge.api.semysms import SemySmsClient

RUNS = 50
MESSAGE = {"id": "5", "id_device": "351", "phone": "+1", "msg": "hi"}


def _multipart(parts: list[tuple[str, str]], boundary: str = "f") -> bytes:
    body = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in parts
    )
    return f"{body}--{boundary}--\r\n".encode()


def _nested(depth: int) -> bytes:
    body = b"x"
    for level in range(depth):
        head = f"--b{level}\r\nContent-Type: multipart/form-data; boundary=b{level + 1}\r\n\r\n"
        body = head.encode() + body + f"\r\n--b{level}--\r\n".encode()
    return body


def _bodies() -> dict[str, tuple[str, bytes]]:
    filler = [(f"x{n}", "y") for n in range(4000)]
    return {
        "multipart_4000_parts": ("multipart/form-data; boundary=f", _multipart(filler)),
        "multipart_largest_accepted": (
            "multipart/form-data; boundary=f",
            _multipart([*MESSAGE.items(), *((f"x{n}", "y" * 8000) for n in range(28))]),
        ),
        "multipart_nested_2000": ("multipart/form-data; boundary=b0", _nested(2000)),
        "form_4000_fields": (
            "application/x-www-form-urlencoded",
            urlencode({**MESSAGE, **dict(filler)}).encode(),
        ),
    }


async def test_hostile_bodies(figures: dict[str, Any]) -> None:
    """Measure and report; see the module docstring."""
    async with aiohttp.ClientSession() as session:
        client = SemySmsClient(session, "benchmark-token", phone_ids=("351",))
        for name, (content_type, body) in _bodies().items():
            request = WebhookRequest("POST", {"Content-Type": content_type}, {}, body)
            outcome = "accepted"
            start = time.perf_counter()
            for _ in range(RUNS):
                try:
                    client.handle_webhook(request)
                except SmsBridgeError as err:
                    outcome = type(err).__name__
            elapsed = (time.perf_counter() - start) / RUNS * 1000
            print(f"SemySMS webhook, {name} ({len(body) // 1024} kB): {outcome}, {elapsed:.2f} ms")
            figures[f"semysms_webhook_{name}_ms"] = round(elapsed, 3)
