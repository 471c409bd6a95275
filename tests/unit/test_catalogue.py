"""The README, the OpenAPI document and the event catalogue stay true to the code."""

import inspect
import re
from pathlib import Path

from nameko.events import EventHandler

from gateway.http import ROUTES
from gateway.openapi import openapi_document
from yzw_kernel.contracts import EVENTS, SUBSCRIPTIONS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def service_classes():
    from appeals.service import AppealsService
    from funding.service import FundingService
    from grid.service import GridService
    from volunteer.service import VolunteerService

    return [GridService, AppealsService, VolunteerService, FundingService]


def test_readme_lists_every_route_and_nothing_else():
    import gateway.service  # noqa: F401 - registers the routes

    documented = set(re.findall(r"^\| `(GET|POST|PUT|DELETE|PATCH) (/[^`]*)`", README, re.M))
    routes = {(r.method, r.path.removeprefix("/api/v1")) for r in ROUTES}
    assert documented == routes


def test_openapi_document_has_every_route():
    import gateway.service  # noqa: F401

    paths = openapi_document()["paths"]
    assert {(r.method.lower(), r.path) for r in ROUTES} == {
        (method, path) for path, ops in paths.items() for method in ops
    }


def test_readme_event_catalogue_matches_the_contracts():
    documented = set(re.findall(r"^\| `(\w+\.\w+)` \| (\d+) \|", README, re.M))
    assert documented == {(name, str(c.version)) for name, c in EVENTS.items()}


def test_every_event_handler_is_a_listed_subscription_and_back():
    handlers = set()
    for cls in service_classes():
        for name, method in inspect.getmembers(cls, callable):
            for entrypoint in getattr(method, "nameko_entrypoints", ()):
                if isinstance(entrypoint, EventHandler):
                    handlers.add((entrypoint.source_service, entrypoint.event_type, cls.name, name))
    listed = {(s.source, s.event_type, s.service, s.method) for s in SUBSCRIPTIONS}
    assert handlers == listed
    for source, event_type, _, _ in listed:
        assert f"{source}.{event_type}" in EVENTS


def test_make_run_starts_each_present_service_by_its_class():
    import importlib
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from run_suite import SERVICES
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    present = [s for s in SERVICES if (ROOT / s[1]).exists()]
    assert [name for name, _, _ in present] == [cls.name for cls in service_classes()]
    for name, _, target in present:
        module, _, class_name = target.partition(":")
        assert getattr(importlib.import_module(module), class_name).name == name
