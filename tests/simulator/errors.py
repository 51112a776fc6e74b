"""Error envelope and the English error catalogue of RBSoft SMS Gateway v9.4.9.

The texts are those of the server's English language file (`resources/lang/English.php`), as a
running v9.4.9 server answers them. `ApiError.code` is the envelope's `error.code`; the HTTP
status is always 200.
"""

from __future__ import annotations

INVALID_REQUEST = "Invalid request format."
INVALID_API_KEY = "This API key is invalid."
INVALID_CREDENTIALS = "This email or password is incorrect."
INVALID_LIST_ID = "Invalid List ID! Unable to find the contacts list."
NO_SUBSCRIBERS = "There are no subscribers present in the contacts list."
CONTACT_EXISTS = "This mobile number already exists in the contacts list."
NOT_A_SUBSCRIBER = "This number is not present in the subscribers list."
ALREADY_UNSUBSCRIBED = "This number is already unsubscribed from the list."
NO_MESSAGES = "No messages found."
NO_USSD_REQUESTS = "No USSD requests found."
INSUFFICIENT_CREDITS = (
    "You have insufficient credits to complete this operation. Please get more credits to continue."
)
NO_ACTIVE_DEVICE = "No active device found associated with this user account."
DEVICE_NOT_FOUND = "This device doesn't exist in database."
SCHEDULE_IN_PAST = "Schedule time should be greater than current time."
INVALID_NUMBER = "Please use a valid Mobile Number."
NO_MESSAGES_TO_SEND = "There are no messages to send."
INVALID_ATTACHMENTS = "Image attachments you have provided are invalid."


def unable_to_connect(device_label: str) -> str:
    """Error for a known but disabled device; the label is `<name or model> [<id>]`."""
    return (
        "Unable to connect to the device. "
        f"Make sure you are logged in to the application on {device_label}."
    )


def no_sim_in_slot(slot: str) -> str:
    """Error for `devices=id|slot` naming a slot without an enabled SIM."""
    return (
        f"There is no SIM card present on slot index {slot}. Please restart the SMS Gateway app "
        "on your Android device if you recently inserted the SIM."
    )


def ussd_sim_missing(device: str, slot: str) -> str:
    """404 text of send-ussd-request.php (it quotes `$_POST`, so GET leaves both blank)."""
    return (
        f"Make sure you are logged in to app on the device #{device} and there is sim present in "
        f"slot {slot}. If you inserted it recently, then open the app on the phone to add it to "
        "the database."
    )


class ApiError(Exception):
    """An error answer: `{"success": false, "data": null, "error": {"code", "message"}}`."""

    def __init__(self, code: int, message: str) -> None:
        """Keep the envelope code and the message."""
        super().__init__(message)
        self.code = code
        self.message = message
