"""A TCP proxy in front of RabbitMQ that a test can cut and restore: a real outage."""

import socket

import eventlet
from nameko.testing.utils import find_free_port


class TcpProxy:
    def __init__(self, target=("127.0.0.1", 5672)):
        self.target = target
        self.port = find_free_port()
        self._listener = None
        self._acceptor = None
        self._sockets = []

    def uri(self, vhost):
        return f"pyamqp://guest:guest@127.0.0.1:{self.port}/{vhost}"

    def start(self):
        self._listener = eventlet.listen(("127.0.0.1", self.port))
        self._acceptor = eventlet.spawn(self._accept)
        return self

    def _accept(self):
        while True:
            client, _ = self._listener.accept()
            upstream = eventlet.connect(self.target)
            self._sockets += [client, upstream]
            eventlet.spawn(self._pipe, client, upstream)
            eventlet.spawn(self._pipe, upstream, client)

    @staticmethod
    def _pipe(source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self):
        """Refuse new connections and cut the open ones."""
        if self._acceptor is not None:
            self._acceptor.kill()
            self._acceptor = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        for s in self._sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._sockets = []
