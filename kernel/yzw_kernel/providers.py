"""nameko dependency providers: the database with its outbox, and RPC with timeouts."""

import inspect
import logging

import eventlet
from kombu.exceptions import OperationalError
from nameko.exceptions import UnknownService
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc, RpcProxy, ServiceProxy
from nameko.timer import Timer
from sqlalchemy import text

from .db import Store, database_url
from .errors import InvalidInput, ServiceUnavailable
from .logs import log_refusals_on_one_line
from .validation import not_text

log = logging.getLogger(__name__)


class SturdyRpc(Rpc):
    """nameko's RPC entrypoint, minus one way to die: in nameko 2.14 a reply that
    cannot be sent because the broker is away (restarting, say) kills the whole
    service. The request is then not acknowledged, so RabbitMQ hands it out
    again unless it expired meanwhile (its TTL is the caller's timeout); the
    caller has its timeout. The service stays up and reconnects.

    A refusal (a DomainError below 500) is logged on one line, without its traceback.

    And one way to fail: an argument that no contract loads (an id from a URL's
    path, a header) and that is not text, a NUL say, is refused naming it before
    any database sees it; PostgreSQL cannot even compare a NUL."""

    def check_signature(self, args, kwargs):
        super().check_signature(args, kwargs)
        method = getattr(self.container.service_cls, self.method_name)
        named = inspect.getcallargs(method, None, *args, **kwargs)
        refused = sorted(name for name, value in named.items() if not_text(value))
        if refused:
            raise InvalidInput(
                f"not text: {', '.join(refused)}",
                {name: ["not text: no control characters"] for name in refused},
            )

    def setup(self):
        log_refusals_on_one_line()
        super().setup()

    def handle_result(self, message, worker_ctx, result, exc_info):
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except (OperationalError, ConnectionError, OSError) as error:
            log.warning(
                "could not answer %s: the broker is unreachable (%s)",
                worker_ctx.call_id,
                error,
            )
            return result, exc_info


rpc = SturdyRpc.decorator


class Database(DependencyProvider):
    """Gives each worker `self.db`: `with self.db.transaction() as tx:` and `self.db.reading()`.

    Migrations run when the service starts; the outbox relay runs as a
    managed thread for as long as the service does.
    """

    def __init__(self, migrations):
        self.migrations = migrations
        self.store = None

    def setup(self):
        config = self.container.config
        relay_options = {"interval": float(config.get("OUTBOX_RELAY_INTERVAL", 2))}
        self.store = Store(
            database_url(config, self.container.service_name),
            source=self.container.service_name,
            migrations=self.migrations,
            amqp_uri=config.get("AMQP_URI"),
            relay_options=relay_options,
        )
        self.store.migrate()

    def start(self):
        self.container.spawn_managed_thread(self.store.relay.run, identifier="outbox-relay")

    def stop(self):
        self.store.relay.stop()
        self.store.dispose()

    def kill(self):
        self.store.relay.stop()

    def get_dependency(self, worker_ctx):
        return self.store


class _TimedProxyMixin:
    def setup(self):
        if self.timeout is None:
            self.timeout = float(self.container.config.get("RPC_TIMEOUT", 5))
        self.options.setdefault("expiration", self.timeout)
        super().setup()


class TimedRpcProxy(_TimedProxyMixin, RpcProxy):
    """An RpcProxy whose calls give up after `RPC_TIMEOUT` seconds.

    A request that nobody picked up by then also expires in its queue, so a
    service that comes back does not act on requests its caller abandoned.
    """

    def __init__(self, target_service, timeout=None, **options):
        self.timeout = timeout
        super().__init__(target_service, **options)

    def get_dependency(self, worker_ctx):
        return TimedServiceProxy(
            super().get_dependency(worker_ctx), self.target_service, self.timeout
        )


class ServiceDirectory(_TimedProxyMixin, RpcProxy):
    """Timed proxies to any service by name: `self.services.grid.me(...)`.

    For callers that fan out to several services (the gateway, health checks).
    """

    def __init__(self, timeout=None, **options):
        self.timeout = timeout
        super().__init__(None, **options)

    def get_dependency(self, worker_ctx):
        return _Directory(worker_ctx, self.rpc_reply_listener, self.timeout, self.options)


class _Directory:
    def __init__(self, worker_ctx, reply_listener, timeout, options):
        self._worker_ctx = worker_ctx
        self._reply_listener = reply_listener
        self._timeout = timeout
        self._options = options

    def __getattr__(self, service_name):
        if service_name.startswith("_"):
            raise AttributeError(service_name)
        return self[service_name]

    def __getitem__(self, service_name):
        proxy = ServiceProxy(self._worker_ctx, service_name, self._reply_listener, **self._options)
        return TimedServiceProxy(proxy, service_name, self._timeout)


class TimedServiceProxy:
    def __init__(self, proxy, service_name, timeout):
        self._proxy = proxy
        self._service_name = service_name
        self._timeout = timeout

    def __getattr__(self, method_name):
        method = getattr(self._proxy, method_name)
        service, timeout = self._service_name, self._timeout

        def call(*args, **kwargs):
            deadline = eventlet.Timeout(timeout)
            try:
                return method.call_async(*args, **kwargs).result()
            except eventlet.Timeout as expired:
                if expired is not deadline:  # a caller's own, outer timeout
                    raise
                raise ServiceUnavailable(
                    f"the {service} service did not answer within {timeout:g}s"
                ) from None
            except UnknownService:
                raise ServiceUnavailable(f"the {service} service is not running") from None
            except (OperationalError, ConnectionError, OSError) as error:
                raise ServiceUnavailable(f"the message bus is unreachable: {error}") from None
            finally:
                deadline.cancel()

        call.__name__ = method_name
        return call


class StoreBacked:
    """What every service with a `db = Database(...)` shares: running a use case
    in a unit of work, a health check that touches the database, and a
    graceful stop that loses no acknowledgement.

    nameko 2 closes a service's broker connection as soon as its last
    entrypoint stops listening, before its running workers finish; their acks
    would then be lost and RabbitMQ would hand the same requests to another
    replica, to be done twice. An RPC client's reply listener holds that
    connection until the workers are done, so every service keeps one.
    """

    peers = ServiceDirectory()  # timed proxies to the other services, too

    def _run(self, use_case, *args):
        with self.db.transaction() as tx:
            return use_case(tx, *args)

    @rpc
    def health(self):
        with self.db.reading() as session:
            session.execute(text("SELECT 1"))
        return {"service": self.name, "status": "ok"}


class ConfiguredTimer(Timer):
    """A nameko timer whose interval is read from config when the service starts
    (`@timer(interval=...)` fixes it at import time)."""

    def __init__(self, setting, default, **kwargs):
        super().__init__(interval=float(default), **kwargs)
        self.setting = setting
        self.default = default

    def setup(self):
        self.interval = float(self.container.config.get(self.setting, self.default))


configured_timer = ConfiguredTimer.decorator
