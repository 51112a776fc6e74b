"""Simulator of the RBSoft "SMS Gateway" server (legacy `services/*.php` API) for tests and demos.

`GatewaySimulator` is a real aiohttp server with fake phones; see server.py for the Python API,
control.py for the `/_sim/` HTTP control API, state.py for the status progression and the
failure rule, and `python -m tests.simulator --help` for the command line.
"""

from tests.simulator.server import GatewaySimulator
from tests.simulator.state import FakePhone, Faults, RecordedRequest

__all__ = ["FakePhone", "Faults", "GatewaySimulator", "RecordedRequest"]
