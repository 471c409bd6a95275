"""Wait until a service's broker, database or peers answer, then become the service.

    python -m yzw_kernel.wait_for AMQP_URI GRID_DATABASE_URL -- \
        nameko run --config config.yml grid.service:GridService

Each target is the name of an environment variable holding an AMQP or
database URL, `rpc:<service>` (the service answers its `health` RPC, which
touches its database) or an `http://` URL (answers with a status below 500).
Targets are retried until `--timeout` seconds have passed; then the command
after `--` replaces this process (exec), so it keeps the process id and
receives SIGTERM itself. Without a command it only checks: container health
checks use it that way. Exit status 1 when a target never answered, 2 when a
target is misnamed.
"""

import argparse
import os
import sys
import time
import urllib.error
import urllib.request
import uuid

RPC_EXCHANGE = "nameko-rpc"  # nameko's default RPC exchange


class TargetError(Exception):
    """A target that no amount of waiting will fix (unset variable, unknown scheme)."""


def check_amqp(url, timeout):
    from kombu import Connection

    with Connection(url, connect_timeout=timeout) as connection:
        _connect(connection)


def _connect(connection):
    # kombu's connect() sleeps 2s before its one retry; the caller retries instead
    connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0)


def check_database(url, timeout):
    if url.startswith("sqlite"):
        return  # a file: nothing to wait for
    from sqlalchemy import create_engine, text

    from .db import normalise_url

    engine = create_engine(normalise_url(url), connect_args={"timeout": timeout})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def check_http(url, timeout):
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return
    except urllib.error.HTTPError as error:
        if error.code >= 500:
            raise


def check_rpc(service, amqp_uri, timeout):
    """Calls `<service>.health()` the way nameko does, through an exclusive reply
    queue: the broker drops it with the connection, and an exclusive queue stays
    a classic one whatever the virtual host's default queue type."""
    from kombu import Connection, Consumer, Exchange, Producer, Queue

    exchange = Exchange(RPC_EXCHANGE, type="topic", durable=True)
    reply_to = f"rpc.reply-healthcheck-{uuid.uuid4()}"
    correlation_id = str(uuid.uuid4())
    replies = []
    with Connection(amqp_uri, connect_timeout=timeout) as connection:
        _connect(connection)
        channel = connection.channel()
        queue = Queue(
            reply_to,
            exchange=exchange,
            routing_key=reply_to,
            exclusive=True,
            auto_delete=True,
            durable=False,
        )

        def on_reply(body, message):
            message.ack()
            if message.properties.get("correlation_id") == correlation_id:
                replies.append(body)

        with Consumer(channel, queues=[queue], callbacks=[on_reply], accept=["json"]):
            Producer(channel).publish(
                {"args": [], "kwargs": {}},
                exchange=exchange,
                routing_key=f"{service}.health",
                reply_to=reply_to,
                correlation_id=correlation_id,
                serializer="json",
                mandatory=True,
                expiration=timeout,  # an unanswered check does not wait in the queue
            )
            deadline = time.monotonic() + timeout
            while not replies:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{service} did not answer within {timeout:g}s")
                connection.drain_events(timeout=left)
        channel.close()
    reply = replies[0]
    if reply.get("error"):
        raise RuntimeError(f"{service}.health failed: {reply['error'].get('value')}")


def describe(target):
    return target if "://" in target or target.startswith("rpc:") else f"${target}"


def make_check(target, environ):
    """A callable(timeout) for one target, or TargetError."""
    if target.startswith(("http://", "https://")):
        return lambda timeout: check_http(target, timeout)
    if target.startswith("rpc:"):
        service = target[len("rpc:") :]
        amqp_uri = environ.get("AMQP_URI")
        if not service or not amqp_uri:
            raise TargetError(f"{target} needs a service name and AMQP_URI set")
        return lambda timeout: check_rpc(service, amqp_uri, timeout)
    url = environ.get(target)
    if not url:
        raise TargetError(f"{target} is not set")
    scheme = url.split("://", 1)[0].lower()
    if scheme in ("amqp", "amqps", "pyamqp"):
        return lambda timeout: check_amqp(url, timeout)
    if scheme.startswith(("postgres", "sqlite")):
        return lambda timeout: check_database(url, timeout)
    raise TargetError(f"{target}: no way to check a {scheme}:// URL")


def wait_for(checks, timeout, interval, clock=time.monotonic, sleep=time.sleep, log=print):
    """Retries each (name, check) until it passes; False when the time ran out."""
    deadline = clock() + timeout
    for name, check in checks:
        attempt = 0
        while True:
            attempt += 1
            left = deadline - clock()
            try:
                check(max(0.5, min(5.0, left)))
                break
            except Exception as error:  # noqa: BLE001 - any failure means not yet
                if clock() + interval > deadline:
                    log(f"wait_for: {name} did not answer within {timeout:g}s: {error}")
                    return False
                if attempt == 1 or attempt % 10 == 0:
                    log(f"wait_for: waiting for {name} ({error})")
                sleep(interval)
    return True


def parse(argv):
    command = []
    if "--" in argv:
        split = argv.index("--")
        argv, command = argv[:split], argv[split + 1 :]
    parser = argparse.ArgumentParser(
        prog="python -m yzw_kernel.wait_for",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("targets", nargs="*", metavar="TARGET")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds in all")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between tries")
    args = parser.parse_args(argv)
    args.command = command
    return args


def main(argv=None, environ=None, execvp=os.execvp):
    args = parse(sys.argv[1:] if argv is None else argv)
    environ = os.environ if environ is None else environ
    try:
        checks = [(describe(t), make_check(t, environ)) for t in args.targets]
    except TargetError as error:
        print(f"wait_for: {error}", file=sys.stderr, flush=True)
        return 2
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    if not wait_for(checks, args.timeout, args.interval, log=log):
        return 1
    if args.command:
        execvp(args.command[0], args.command)  # does not return
    return 0


if __name__ == "__main__":
    sys.exit(main())
