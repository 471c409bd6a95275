"""The gateway service: routes of the HTTP API, each a thin call to one service."""

import logging

import eventlet
from kombu import Connection
from nameko.dependency_providers import Config

from yzw_kernel.errors import DomainError
from yzw_kernel.providers import ServiceDirectory

from .console import ConsoleRoutes
from .http import api, json_response
from .openapi import openapi_document
from .routes_appeals import AppealRoutes
from .routes_dashboard import DashboardRoutes
from .routes_deliberations import DeliberationRoutes
from .routes_funding import FundingRoutes
from .routes_grid import GridRoutes
from .routes_stats import StatsRoutes
from .routes_volunteer import VolunteerRoutes
from .schemas import HealthOut
from .tokens import Tokens

log = logging.getLogger(__name__)


class GatewayService(
    GridRoutes,
    AppealRoutes,
    DeliberationRoutes,
    StatsRoutes,
    VolunteerRoutes,
    FundingRoutes,
    DashboardRoutes,
    ConsoleRoutes,
):
    name = "gateway"
    services = ServiceDirectory()
    config = Config()
    tokens = Tokens()

    # -- plumbing ----------------------------------------------------------

    def authenticate(self, request):
        return self.tokens.person_from_header(request.headers.get("Authorization"))

    @property
    def grid(self):
        return self.services.grid

    # -- system --------------------------------------------------------------

    @api(
        "GET",
        "/health",
        summary="Health of the broker and of each service",
        tag="system",
        response=HealthOut,
        auth=False,
    )
    def health(self, request, principal, body):
        config = self.config
        names = [
            n.strip() for n in str(config.get("GATEWAY_SERVICES", "grid")).split(",") if n.strip()
        ]
        timeout = float(config.get("HEALTH_TIMEOUT", 2))

        def check_broker():
            try:
                with Connection(config["AMQP_URI"], connect_timeout=timeout) as connection:
                    connection.connect()
                return {"status": "ok"}
            except Exception as error:  # noqa: BLE001 - any failure means down
                return {"status": "down", "message": str(error)}

        def check(name):
            try:
                with eventlet.Timeout(timeout):
                    self.services[name].health()
                return name, {"status": "ok"}
            except (DomainError, eventlet.Timeout, Exception) as error:  # noqa: BLE001
                return name, {"status": "down", "message": str(error) or "no answer"}

        pool = eventlet.GreenPool()
        broker = pool.spawn(check_broker)
        results = dict(pool.imap(check, names))
        report = {"broker": broker.wait(), "services": results}
        healthy = report["broker"]["status"] == "ok" and all(
            r["status"] == "ok" for r in results.values()
        )
        report["status"] = "ok" if healthy else "degraded"
        return json_response(200 if healthy else 503, HealthOut().dump(report))

    @api("GET", "/openapi.json", summary="This document", tag="system", auth=False)
    def openapi(self, request, principal, body):
        return openapi_document()
