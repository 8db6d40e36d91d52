"""Verify an itosm webhook delivery (Standard Webhooks), standard library only."""

import base64
import hashlib
import hmac
import time

TOLERANCE_SECONDS = 5 * 60


class WebhookRejected(Exception):
    """The delivery is not authentic, or too old: answer 401 and drop it."""


def signing_key(secret: str) -> bytes:
    """`whsec_<base64>` is decoded after the prefix; a plain secret is its bytes."""
    if secret.startswith("whsec_"):
        encoded = secret[len("whsec_"):]
        return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    return secret.encode()


def verify_webhook(secrets: list[str], headers: dict[str, str], body: bytes) -> None:
    """Raise WebhookRejected unless one signature matches one of `secrets`.

    `headers` maps lower-case header names to values; `body` is the raw
    request body, exactly as received (verify before parsing the JSON).
    List both secrets while itosm's are being rotated.
    """
    msg_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (msg_id and timestamp and signatures):
        raise WebhookRejected("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        sent = int(timestamp)
    except ValueError:
        raise WebhookRejected("webhook-timestamp is not Unix seconds") from None
    if abs(time.time() - sent) > TOLERANCE_SECONDS:
        raise WebhookRejected("webhook-timestamp is too old (or too far ahead): a replay?")
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    for secret in secrets:
        digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
        expected = "v1," + base64.b64encode(digest).decode()
        for candidate in signatures.split(" "):
            if hmac.compare_digest(candidate.encode(), expected.encode()):
                return
    raise WebhookRejected("no signature matches")
