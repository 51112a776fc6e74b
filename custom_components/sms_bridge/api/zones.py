"""Time zones named in a provider's answers, looked up without touching the disk in the loop.

``zoneinfo.ZoneInfo(name)`` opens a file named after ``name``. A name that comes from the
network can point at a directory ("America": ``IsADirectoryError``) or be too long for the file
system (``OSError``), errors beside the ``ValueError`` and ``ZoneInfoNotFoundError`` one would
expect; and even a good name reads the disk wherever it is first used, blocking the event loop.

A `ZoneTable` reads the system's list of zone names (``zoneinfo.available_timezones()``) once,
and each zone once, in a worker thread: the running loop's default executor. Looking a name up
(`get`) only reads memory; a name outside the list is never opened. Async code awaits
`async_load` for the names it is about to read; code that cannot wait (a webhook handler) calls
`load_soon`, and a zone still loading reads as unknown meanwhile. Without a running loop (plain
synchronous code) there is no loop to block, and the zones are read at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import tzinfo
import threading
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


class ZoneTable:
    """The zones of the system's time zone database, read once and kept, off the event loop."""

    def __init__(self) -> None:
        """Start empty: nothing is read until a name is asked for."""
        self._names: frozenset[str] | None = None  # the system's list, once read
        self._zones: dict[str, tzinfo] = {}
        self._lock = threading.Lock()
        self._loading: set[asyncio.Future[None]] = set()

    def get(self, name: str) -> tzinfo | None:
        """Return the zone of ``name`` if it is loaded; None when unknown or still loading."""
        return self._zones.get(name)

    def knows(self, name: str) -> bool | None:
        """Return whether the system has a zone of that name; None before its list is read."""
        names = self._names
        return None if names is None else name in names

    def load(self, names: Iterable[str]) -> None:
        """Read the list of zones, then the zones of ``names`` it holds (blocking: a thread's)."""
        with self._lock:
            if self._names is None:
                self._names = frozenset(available_timezones())
            for name in names:
                if name in self._zones or name not in self._names:
                    continue
                try:
                    self._zones[name] = ZoneInfo(name)
                except (ZoneInfoNotFoundError, OSError, ValueError):
                    self._names -= {name}  # listed, yet unreadable: never tried again

    async def async_load(self, names: Iterable[str]) -> None:
        """Load the zones of ``names`` in the loop's executor; nothing when all are loaded."""
        if wanted := self._missing(names):
            await asyncio.get_running_loop().run_in_executor(None, self.load, wanted)

    def load_soon(self, names: Iterable[str]) -> None:
        """Start loading the zones of ``names`` in the loop's executor, without waiting.

        Without a running loop, load them at once: no loop is blocked then.
        """
        if not (wanted := self._missing(names)):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.load(wanted)
            return
        future = loop.run_in_executor(None, self.load, wanted)
        self._loading.add(future)  # kept until done: a task nobody holds may vanish
        future.add_done_callback(self._loading.discard)

    def _missing(self, names: Iterable[str]) -> list[str]:
        """Return the names not loaded yet that may be zones (all of them before the list)."""
        known = self._names
        return [
            name
            for name in dict.fromkeys(names)
            if name not in self._zones and (known is None or name in known)
        ]


ZONES = ZoneTable()
"""The process's table: the zone database is the same for every client."""
