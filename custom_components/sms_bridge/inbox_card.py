"""The inbox card: served by the integration, and loaded by the frontend on every dashboard.

The card is registered with the frontend as an extra module (``add_extra_js_url``), not as a
dashboard resource: that works alike on every supported Home Assistant, for dashboards in
storage and in YAML mode, changes nothing in the user's configuration, and goes away with the
integration. The URL carries a digest of the file, so a browser never keeps an old card after
an update.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Final

from homeassistant.core import HomeAssistant

from .compat import StaticPathConfig
from .const import DOMAIN, LOGGER

CARD_FILE: Final = Path(__file__).parent / "frontend" / "sms-bridge-inbox-card.js"
CARD_URL: Final = f"/{DOMAIN}/sms-bridge-inbox-card.js"


async def async_register_inbox_card(hass: HomeAssistant) -> str:
    """Serve the card and have the frontend load it; return the URL the frontend loads."""
    digest = await hass.async_add_executor_job(_digest, CARD_FILE)
    # Revalidated at each load: the URL of a manually added resource has no digest.
    await hass.http.async_register_static_paths(
        [StaticPathConfig(CARD_URL, str(CARD_FILE), cache_headers=False)]
    )
    url = f"{CARD_URL}?v={digest}"
    if "frontend" in hass.config.components:
        from homeassistant.components.frontend import add_extra_js_url

        try:
            add_extra_js_url(hass, url)
        except KeyError:  # a frontend without its module list (a stand-in of a test or tool)
            LOGGER.debug("The frontend takes no extra modules: the inbox card is not loaded")
    else:
        LOGGER.debug("No frontend: the inbox card is served at %s, not loaded", CARD_URL)
    return url


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
