"""Which worker errors lose their traceback in the log: an RPC's or an HTTP route's
refusal (a DomainError below 500), and nothing else."""

import logging
import sys

import pytest
from nameko.events import EventHandler
from nameko.rpc import Rpc
from nameko.web.handlers import HttpRequestHandler

from yzw_kernel.errors import Conflict, NotFound, ServiceUnavailable, TooManyRequests
from yzw_kernel.logs import RefusalsOnOneLine


class Worker:
    """What nameko's container passes as the first argument of its log call."""

    service_name = "appeals"

    def __init__(self, entrypoint):
        self.entrypoint = entrypoint
        entrypoint.method_name = "claim"


def record_for(error, entrypoint):
    try:
        raise error
    except Exception:  # noqa: BLE001 - the record carries whatever was raised
        exc_info = sys.exc_info()
    return logging.LogRecord(
        "nameko.containers",
        logging.ERROR,
        __file__,
        1,
        "error handling worker %s: %s",
        (Worker(entrypoint), error),
        exc_info,
    )


@pytest.mark.parametrize(
    "error, code",
    [(NotFound("no appeal"), "not_found (404)"), (Conflict("taken"), "conflict (409)")],
)
@pytest.mark.parametrize("entrypoint", [Rpc(), HttpRequestHandler("GET", "/x")])
def test_a_refusal_of_a_request_is_one_line_naming_its_code(error, code, entrypoint):
    record = record_for(error, entrypoint)
    assert RefusalsOnOneLine().filter(record)
    assert record.getMessage() == f"refused appeals.claim: {code}"
    assert record.exc_info is None and record.levelno == logging.INFO
    assert "no appeal" not in record.getMessage()  # the message may quote the caller


def test_a_429_is_a_refusal_too():
    record = record_for(TooManyRequests("slow down", None, 30), Rpc())
    RefusalsOnOneLine().filter(record)
    assert record.getMessage() == "refused appeals.claim: too_many_requests (429)"


@pytest.mark.parametrize(
    "error, entrypoint",
    [
        (RuntimeError("a bug"), Rpc()),
        (ServiceUnavailable("grid is down"), HttpRequestHandler("GET", "/x")),
        (NotFound("a handler's fault"), EventHandler("grid", "person_registered")),
    ],
    ids=["a bug", "a 503", "an event handler"],
)
def test_faults_keep_their_traceback(error, entrypoint):
    record = record_for(error, entrypoint)
    assert RefusalsOnOneLine().filter(record)
    assert record.exc_info is not None and record.levelno == logging.ERROR
    assert record.getMessage().startswith("error handling worker")
