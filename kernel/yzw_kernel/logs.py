"""Expected refusals log one line: a worker that refuses (400, 401, 403, 404, 409,
413, 429) has done its job, and a traceback per refusal would let any caller
flood the log and burn CPU formatting stacks.

nameko's container logs every exception a worker raises with its traceback
(`nameko.containers`, "error handling worker"). The filter below rewrites those
records of an RPC or HTTP entrypoint whose exception is a DomainError below 500
into one line that names the entrypoint, the error's code and status: never its
message or fields, which may quote what the caller sent. Everything else (every
5xx, and any error in an event handler or a timer, which is a fault, not a
refusal) keeps its traceback.
"""

import logging

from nameko.rpc import Rpc
from nameko.web.handlers import HttpRequestHandler

from .errors import DomainError

CONTAINER_LOGGER = "nameko.containers"


class RefusalsOnOneLine(logging.Filter):
    def filter(self, record):
        error = record.exc_info[1] if record.exc_info else None
        worker = record.args[0] if isinstance(record.args, tuple) and record.args else None
        entrypoint = getattr(worker, "entrypoint", None)
        if (
            isinstance(error, DomainError)
            and error.status < 500
            and isinstance(entrypoint, (Rpc, HttpRequestHandler))
        ):
            where = f"{worker.service_name}.{entrypoint.method_name}"
            record.msg = "refused %s: %s (%s)"
            record.args = (where, error.code, error.status)
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
            record.exc_info = None
            record.exc_text = None
        return True


_filter = RefusalsOnOneLine()


def log_refusals_on_one_line():
    """Install the filter once per process (idempotent: entrypoints call it in setup)."""
    logger = logging.getLogger(CONTAINER_LOGGER)
    if _filter not in logger.filters:
        logger.addFilter(_filter)
