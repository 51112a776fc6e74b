"""Constants for SMS Bridge."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

from .providers import (
    KEY_ROTATION_GRACE as RBSOFT_KEY_ROTATION_GRACE,
    PREVIOUS_API_KEY,
    PREVIOUS_API_KEY_EXPIRES,
)

DOMAIN: Final = "sms_bridge"
LOGGER = logging.getLogger(__package__)

# Config entry data (connection: what the gateway needs to accept us).
CONF_PROVIDER: Final = "provider"
CONF_URL: Final = "url"
CONF_API_KEY: Final = "api_key"
CONF_WEBHOOK_ID: Final = "webhook_id"
# Entries made before this field existed lack it: read it with the default.
CONF_VERIFY_SSL: Final = "verify_ssl"
DEFAULT_VERIFY_SSL: Final = True

# Config entry options (behaviour).
CONF_UPDATE_INTERVAL: Final = "update_interval"
CONF_DEFAULT_PHONE: Final = "default_phone"
CONF_DEFAULT_SIM: Final = "default_sim"
CONF_DEFAULT_RECIPIENTS: Final = "default_recipients"
CONF_OUTBOX_TTL: Final = "outbox_ttl"  # minutes
# An options form switch, never stored: replace the generated callback secret.
CONF_NEW_CALLBACK_SECRET: Final = "new_callback_secret"  # noqa: S105 (a key name)
CONF_SENDER_ID: Final = "sender_id"  # the default sender name, where the provider has one

DEFAULT_OUTBOX_TTL: Final = timedelta(hours=1)
MIN_OUTBOX_TTL_MINUTES: Final = 5
MAX_OUTBOX_TTL_MINUTES: Final = 1440  # a day: an alert older than that helps no one

# Send limits and safety (options of their own section of the options form).
CONF_SEND_SAFETY: Final = "send_safety"  # the section; its fields are stored flat
CONF_MAX_PER_MINUTE: Final = "max_messages_per_minute"
CONF_MAX_PER_DAY: Final = "max_messages_per_day"
CONF_ALLOWED_RECIPIENTS: Final = "allowed_recipients"
CONF_ALLOW_HTTP_ATTACHMENTS: Final = "allow_http_attachments"

# Far above what alerts and replies need, low enough to stop a loop within a minute.
DEFAULT_MAX_PER_MINUTE: Final = 30
DEFAULT_MAX_PER_DAY: Final = 500
MAX_PER_MINUTE_LIMIT: Final = 1000  # one send may go to 1000 recipients
MAX_PER_DAY_LIMIT: Final = 100_000

# Text your home: SMS from chosen contacts go to a conversation agent (a section of the options
# form, stored flat). Without a chosen contact it is off.
CONF_ASSIST: Final = "assist"  # the section
CONF_ASSIST_AGENT: Final = "assist_agent"
CONF_ASSIST_CONTACTS: Final = "assist_contacts"  # subentry ids of the contacts allowed
DEFAULT_ASSIST_AGENT: Final = "conversation.home_assistant"  # Home Assistant's own agent

# The inbox (a section of the options form, stored flat): how long and how many messages it
# keeps, and whether users other than administrators may read it.
CONF_INBOX: Final = "inbox"  # the section
CONF_INBOX_RETENTION_DAYS: Final = "inbox_retention_days"
CONF_INBOX_MAX_MESSAGES: Final = "inbox_max_messages"
CONF_INBOX_ALL_USERS: Final = "inbox_all_users"
DEFAULT_INBOX_RETENTION_DAYS: Final = 90
MAX_INBOX_RETENTION_DAYS: Final = 3650
DEFAULT_INBOX_MAX_MESSAGES: Final = 10_000
MIN_INBOX_MAX_MESSAGES: Final = 100
MAX_INBOX_MAX_MESSAGES: Final = 50_000

DEFAULT_UPDATE_INTERVAL: Final = timedelta(minutes=5)
MIN_UPDATE_INTERVAL_SECONDS: Final = 30
MAX_UPDATE_INTERVAL_SECONDS: Final = 3600

# A phone counts as online when the gateway saw it within this window.
ONLINE_WINDOW: Final = timedelta(minutes=15)

# The backfill reads back from this long before its previous read: the gateway filters on the
# sent date, which the sender's phone and network set, and a message can reach the gateway a
# while after it was sent. The dedupe store's upgrade counts with it too.
BACKFILL_MARGIN: Final = timedelta(hours=1)

# Bus events.
EVENT_MESSAGE_RECEIVED: Final = f"{DOMAIN}_message_received"
EVENT_USSD_RESPONSE: Final = f"{DOMAIN}_ussd_response"
EVENT_MESSAGE_STATUS: Final = f"{DOMAIN}_message_status"
EVENT_MESSAGE_EXPIRED: Final = f"{DOMAIN}_message_expired"

# Event entity event types.
EVENT_TYPE_SMS_RECEIVED: Final = "sms_received"
EVENT_TYPE_USSD_RESPONSE: Final = "ussd_response"
EVENT_TYPE_MESSAGE_STATUS: Final = "message_status"

# Keys (unique id suffixes) of a phone's event entities. The incoming messages entity keeps the
# key of the single event entity of 0.1, so existing installations keep its entity id.
KEY_INCOMING_MESSAGES: Final = "messages"
KEY_DELIVERY: Final = "delivery"

# What the SMS Gateway provider stores when its API key is replaced: webhooks signed with the
# previous key stay valid for KEY_ROTATION_GRACE (its descriptor keeps and prunes them).
CONF_PREVIOUS_API_KEY: Final = PREVIOUS_API_KEY
CONF_PREVIOUS_API_KEY_EXPIRES: Final = PREVIOUS_API_KEY_EXPIRES
KEY_ROTATION_GRACE: Final = RBSOFT_KEY_ROTATION_GRACE

DATA_HASS_CONFIG: Final = f"{DOMAIN}_hass_config"

# Fired when a USSD request got no answer within the timeout of sms_bridge.send_ussd.
EVENT_USSD_TIMEOUT: Final = f"{DOMAIN}_ussd_timeout"
