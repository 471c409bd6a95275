"""Login tokens are checked in full; typed errors survive an RPC hop."""

from datetime import timedelta

import jwt
import pytest
from nameko.exceptions import RemoteError, deserialize, serialize

from gateway.tokens import AUDIENCE, ISSUER, TokenSigner
from yzw_kernel.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from yzw_kernel.types import utcnow

SECRET = "a-test-secret-that-is-long-enough-for-hs256"


def forge(claims, secret=SECRET, algorithm="HS256"):
    base = {"sub": "p-1", "iss": ISSUER, "aud": AUDIENCE, "exp": utcnow() + timedelta(hours=1)}
    return jwt.encode({**base, **claims}, secret, algorithm=algorithm)


def test_a_token_it_issued_names_the_person():
    signer = TokenSigner(SECRET)
    assert signer.verify(signer.issue("p-42")) == "p-42"


@pytest.mark.parametrize(
    "token",
    [
        forge({"exp": utcnow() - timedelta(seconds=1)}),
        forge({"aud": "another-app"}),
        forge({"iss": "someone-else"}),
        forge({}, secret="another-secret-that-is-also-long-enough"),
        jwt.encode({"sub": "p-1", "iss": ISSUER, "aud": AUDIENCE}, SECRET, algorithm="HS256"),
        jwt.encode(
            {"sub": "p-1", "iss": ISSUER, "aud": AUDIENCE, "exp": utcnow() + timedelta(hours=1)},
            None,
            algorithm="none",
        ),
        "not-a-token",
    ],
    ids=["expired", "audience", "issuer", "signature", "no-expiry", "alg-none", "garbage"],
)
def test_tokens_that_are_not_ours_in_every_way_are_refused(token):
    with pytest.raises(DomainError) as raised:
        TokenSigner(SECRET).verify(token)
    assert raised.value.status == 401


def test_the_authorization_header_must_be_bearer():
    signer = TokenSigner(SECRET)
    for header in (None, "", "Basic abc", "Bearer "):
        with pytest.raises(DomainError):
            signer.person_from_header(header)
    assert signer.person_from_header("Bearer " + signer.issue("p-7")) == "p-7"


@pytest.mark.parametrize("error_type", [InvalidInput, Forbidden, NotFound, Conflict])
def test_typed_errors_cross_rpc_as_their_own_type(error_type):
    raised = error_type("it went wrong", {"field": ["bad"]})

    arrived = deserialize(serialize(raised))

    assert type(arrived) is error_type
    assert not isinstance(arrived, RemoteError)
    assert arrived.message == "it went wrong"
    assert arrived.fields == {"field": ["bad"]}
    assert arrived.to_json() == {
        "error": error_type.code,
        "message": "it went wrong",
        "fields": {"field": ["bad"]},
    }


def test_an_error_without_fields_crosses_rpc_without_inventing_any():
    arrived = deserialize(serialize(NotFound("no appeal with id x")))

    assert arrived.fields == {}
    assert arrived.to_json() == {"error": "not_found", "message": "no appeal with id x"}
