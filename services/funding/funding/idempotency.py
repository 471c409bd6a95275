"""Idempotency-Key: the same key and body replay the first answer; another body is refused."""

import hashlib
import json

from sqlalchemy import select

from yzw_kernel.errors import Conflict, InvalidInput
from yzw_kernel.principal import Principal

from .models import IdempotentRequest

MAX_KEY_LENGTH = 200


def check_key(key):
    key = str(key).strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(
            "the Idempotency-Key is 1 to 200 printable characters",
            {"Idempotency-Key": [f"1 to {MAX_KEY_LENGTH} printable characters"]},
        )
    return key


def fingerprint(request):
    canonical = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _find(session, actor_id, key):
    return session.scalar(
        select(IdempotentRequest).where(
            IdempotentRequest.actor_id == actor_id, IdempotentRequest.key == key
        )
    )


def replay(tx, principal, key, request):
    """The first answer given to this key, or None if the key is new."""
    found = _find(tx.session, Principal(principal).id, key)
    if found is None:
        return None
    if found.request_hash != fingerprint(request):
        raise Conflict(
            "this Idempotency-Key was used for a different request",
            {"Idempotency-Key": ["already used with another body; use a new key"]},
        )
    return json.loads(found.response)


def remember(tx, principal, key, request, answer):
    tx.session.add(
        IdempotentRequest(
            actor_id=Principal(principal).id,
            key=key,
            request_hash=fingerprint(request),
            response=json.dumps(answer, ensure_ascii=False),
        )
    )
    tx.flush()


def recorded(tx, principal, key):
    return _find(tx.session, Principal(principal).id, key) is not None
