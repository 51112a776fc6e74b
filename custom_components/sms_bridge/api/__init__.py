"""Asynchronous client library for Android SMS gateways and SMS services.

Pure asyncio + aiohttp: nothing here imports Home Assistant.
"""

from .errors import (
    CapabilityNotSupportedError,
    ConnectionErrorKind,
    GatewayApiError,
    GatewayAuthenticationError,
    GatewayCertificateError,
    GatewayConnectionError,
    GatewayRateLimitedError,
    GatewayRequestRefusedError,
    GatewayResponseError,
    SmsBridgeError,
    WebhookPayloadError,
    WebhookPayloadTooLargeError,
    WebhookSignatureError,
)
from .gateway import Capability, Gateway, MessageQuery, Routing, Sender, SendRequest, UssdQuery
from .models import (
    Account,
    Contact,
    InboundBatch,
    Message,
    MessageStatus,
    MessageType,
    Phone,
    Sim,
    UssdRequest,
)
from .providers import PROVIDERS, Provider, create_gateway

__all__ = [
    "PROVIDERS",
    "Account",
    "Capability",
    "CapabilityNotSupportedError",
    "ConnectionErrorKind",
    "Contact",
    "Gateway",
    "GatewayApiError",
    "GatewayAuthenticationError",
    "GatewayCertificateError",
    "GatewayConnectionError",
    "GatewayRateLimitedError",
    "GatewayRequestRefusedError",
    "GatewayResponseError",
    "InboundBatch",
    "Message",
    "MessageQuery",
    "MessageStatus",
    "MessageType",
    "Phone",
    "Provider",
    "Routing",
    "SendRequest",
    "Sender",
    "Sim",
    "SmsBridgeError",
    "UssdQuery",
    "UssdRequest",
    "WebhookPayloadError",
    "WebhookPayloadTooLargeError",
    "WebhookSignatureError",
    "create_gateway",
]
