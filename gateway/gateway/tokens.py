"""Signed login tokens: HS256 JWTs with expiry, issuer and audience, all checked."""

import logging
import secrets
from datetime import timedelta

import jwt
from nameko.extensions import DependencyProvider

from yzw_kernel.errors import Unauthenticated
from yzw_kernel.types import utcnow

ISSUER = "yizhangwang"
AUDIENCE = "yizhangwang-api"

log = logging.getLogger(__name__)


class TokenSigner:
    def __init__(self, secret, ttl_seconds=8 * 3600, issuer=ISSUER, audience=AUDIENCE):
        if not secret:
            # No configured secret: tokens last as long as this process.
            secret = secrets.token_urlsafe(32)
        self.secret = secret
        self.ttl = timedelta(seconds=ttl_seconds)
        self.issuer = issuer
        self.audience = audience

    def issue(self, person_id):
        now = utcnow()
        claims = {
            "sub": person_id,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "exp": now + self.ttl,
        }
        return jwt.encode(claims, self.secret, algorithm="HS256")

    def verify(self, token):
        try:
            claims = jwt.decode(
                token,
                self.secret,
                algorithms=["HS256"],  # never "none", never what the token says
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("your session has expired; log in again") from None
        except jwt.InvalidTokenError:
            raise Unauthenticated("the token is not valid; log in again") from None
        return claims["sub"]

    def person_from_header(self, header):
        if not header:
            raise Unauthenticated("log in first: send Authorization: Bearer <token>")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("send Authorization: Bearer <token>")
        return self.verify(token.strip())


class Tokens(DependencyProvider):
    """The gateway's token signer, built once from TOKEN_SECRET and TOKEN_TTL."""

    def setup(self):
        config = self.container.config
        secret = config.get("TOKEN_SECRET")
        if not secret:
            log.warning("TOKEN_SECRET is not set: tokens end with this process")
        self.signer = TokenSigner(secret, int(config.get("TOKEN_TTL") or 28800))

    def get_dependency(self, worker_ctx):
        return self.signer
