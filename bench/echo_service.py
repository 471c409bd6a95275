"""The floor's echo service: one RPC that answers what it was sent.

It runs as `nameko run` like the suite's services, with the kernel's `rpc`
entrypoint they use, so its round trip is what any RPC of theirs costs before
it does any work.
"""

from yzw_kernel.providers import rpc


class EchoService:
    name = "bench_echo"

    @rpc
    def echo(self, payload):
        return payload
