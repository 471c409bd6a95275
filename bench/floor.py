"""The floor: what a round trip over this broker costs before any service does work.

Two floors, measured on the broker and virtual host the suite uses:

- raw AMQP request/reply with kombu: a tiny echo consumer (`serve`, run as a
  process of its own) answers each request on the caller's reply queue, by
  correlation id, as RPC over AMQP does at its plainest;
- nameko RPC to `bench/echo_service.py`, run with `nameko run` like the
  services, called through nameko's standalone cluster proxy.

Each is measured sequentially (one call at a time: latency p50/p99) and
pipelined (`window` calls in flight from one client: calls per second).

    python bench/floor.py serve --amqp-uri pyamqp://guest:guest@127.0.0.1:5672/
"""

import argparse
import json
import sys
import time
import uuid
from pathlib import Path

from kombu import Connection, Consumer, Producer, Queue

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from stats import summary  # noqa: E402

ECHO_QUEUE = "bench.amqp-echo"
PAYLOAD = {"person_id": "5f0c3a52-8d7e-4b8e-9a61-3c1f2e4d5a6b", "n": 0}


# -- raw AMQP ---------------------------------------------------------------------


def serve(amqp_uri, queue_name=ECHO_QUEUE, stop=None, ready=None, prefetch=64):
    """Answer every request on `queue_name` with its own body, until `stop` is set
    (an Event) or forever."""
    with Connection(amqp_uri) as connection:
        channel = connection.channel()
        channel.basic_qos(0, prefetch, False)
        producer = Producer(channel)
        queue = Queue(queue_name, durable=False, auto_delete=True)

        def answer(body, message):
            producer.publish(
                message.body,
                exchange="",
                routing_key=message.properties["reply_to"],
                correlation_id=message.properties["correlation_id"],
                content_type=message.content_type,
                content_encoding=message.content_encoding,
                delivery_mode=1,
                retry=False,
            )
            message.ack()

        with Consumer(channel, [queue], callbacks=[answer], accept=["json"]):
            if ready is not None:
                ready.set()
            while stop is None or not stop.is_set():
                try:
                    connection.drain_events(timeout=0.5)
                except TimeoutError:
                    continue


class AmqpClient:
    """Request/reply over kombu: publish with reply_to and a correlation id, wait
    on an exclusive reply queue."""

    def __init__(self, amqp_uri, queue_name=ECHO_QUEUE):
        self.connection = Connection(amqp_uri)
        self.channel = self.connection.channel()
        self.queue_name = queue_name
        self.reply_to = f"bench.reply.{uuid.uuid4().hex}"
        reply_queue = Queue(self.reply_to, exclusive=True, auto_delete=True, durable=False)
        self.replies = {}
        self.consumer = Consumer(
            self.channel, [reply_queue], callbacks=[self._on_reply], no_ack=True, accept=["json"]
        )
        self.consumer.consume()
        self.producer = Producer(self.channel)

    def _on_reply(self, body, message):
        self.replies[message.properties["correlation_id"]] = body

    def send(self, payload):
        correlation_id = uuid.uuid4().hex
        self.producer.publish(
            payload,
            exchange="",
            routing_key=self.queue_name,
            reply_to=self.reply_to,
            correlation_id=correlation_id,
            serializer="json",
            delivery_mode=1,
            retry=False,
        )
        return correlation_id

    def wait(self, correlation_id, timeout=10):
        deadline = time.monotonic() + timeout
        while correlation_id not in self.replies:
            if time.monotonic() > deadline:
                raise TimeoutError("no reply from the AMQP echo")
            self.connection.drain_events(timeout=timeout)
        return self.replies.pop(correlation_id)

    def call(self, payload):
        return self.wait(self.send(payload))

    def close(self):
        self.connection.release()


def wait_for_amqp_echo(amqp_uri, seconds=30):
    client = AmqpClient(amqp_uri)
    try:
        deadline = time.monotonic() + seconds
        while True:
            try:
                return client.wait(client.send(PAYLOAD), timeout=1)
            except TimeoutError:
                if time.monotonic() > deadline:
                    raise
    finally:
        client.close()


# -- nameko ---------------------------------------------------------------------------


class NamekoClient:
    """nameko's standalone cluster proxy to the echo service."""

    def __init__(self, amqp_uri, timeout=10):
        from nameko.standalone.rpc import ClusterRpcProxy

        self._cluster = ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=timeout)
        self.proxy = self._cluster.start()

    def call(self, payload):
        return self.proxy.bench_echo.echo(payload)

    def send(self, payload):
        return self.proxy.bench_echo.echo.call_async(payload)

    def wait(self, reply):
        return reply.result()

    def close(self):
        self._cluster.stop()


def wait_for_nameko_echo(amqp_uri, seconds=60):
    deadline = time.monotonic() + seconds
    while True:
        client = None
        try:
            client = NamekoClient(amqp_uri, timeout=2)
            return client.call(PAYLOAD)
        except Exception:  # noqa: BLE001 - not up yet: UnknownService, a timeout
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
        finally:
            if client is not None:
                client.close()


# -- measuring ------------------------------------------------------------------------


def measure(client, sequential=1000, pipelined=4000, window=50, warmup=100):
    """Sequential latency and pipelined throughput of one client."""
    for n in range(warmup):
        client.call({**PAYLOAD, "n": n})
    latencies = []
    for n in range(sequential):
        began = time.perf_counter()
        answer = client.call({**PAYLOAD, "n": n})
        latencies.append(time.perf_counter() - began)
        if answer["n"] != n:
            raise AssertionError(f"echo answered {answer!r} to call {n}")
    sequential_summary = summary(latencies)

    in_flight = []
    began = time.perf_counter()
    for n in range(pipelined):
        in_flight.append(client.send({**PAYLOAD, "n": n}))
        if len(in_flight) >= window:
            client.wait(in_flight.pop(0))
    for pending in in_flight:
        client.wait(pending)
    elapsed = time.perf_counter() - began
    return {
        "sequential": sequential_summary,
        "pipelined": {
            "calls": pipelined,
            "window": window,
            "elapsed_s": round(elapsed, 3),
            "calls_per_second": round(pipelined / elapsed, 1),
        },
    }


def measure_concurrent(make_client, callers=8, calls=250):
    """`callers` clients, each calling in turn on its own connection: what the bus
    carries for many callers at once, as the gateway's workers call."""
    import threading

    clients = [make_client() for _ in range(callers)]
    errors = []

    def run(client):
        try:
            for n in range(calls):
                client.call({**PAYLOAD, "n": n})
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    for client in clients:
        client.close()
    if errors:
        raise errors[0]
    return {
        "callers": callers,
        "calls": callers * calls,
        "elapsed_s": round(elapsed, 3),
        "calls_per_second": round(callers * calls / elapsed, 1),
    }


def measure_amqp(amqp_uri, concurrent=None, **sizes):
    client = AmqpClient(amqp_uri)
    try:
        out = measure(client, **sizes)
    finally:
        client.close()
    if concurrent:
        out["concurrent"] = measure_concurrent(lambda: AmqpClient(amqp_uri), **concurrent)
    return out


def measure_nameko(amqp_uri, concurrent=None, **sizes):
    client = NamekoClient(amqp_uri)
    try:
        out = measure(client, **sizes)
    finally:
        client.close()
    if concurrent:
        out["concurrent"] = measure_concurrent(lambda: NamekoClient(amqp_uri), **concurrent)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["serve", "measure"])
    parser.add_argument("--amqp-uri", default="pyamqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--calls", type=int, default=1000)
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.amqp_uri)
        return 0
    sizes = {"sequential": args.calls, "pipelined": args.calls * 4}
    print(json.dumps({"amqp": measure_amqp(args.amqp_uri, **sizes)}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
