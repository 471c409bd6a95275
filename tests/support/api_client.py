"""A small HTTP client for the gateway, and builders of test communities."""

import itertools
from dataclasses import dataclass, field

import requests

_phones = itertools.count(13900000000)


def next_phone():
    return str(next(_phones))


class Api:
    def __init__(self, base_url, token=None):
        self.base_url = base_url
        self.token = token
        self.http = requests.Session()

    def request(self, method, path, json=None, data=None, headers=None, timeout=30):
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return self.http.request(
            method, self.base_url + path, json=json, data=data, headers=headers, timeout=timeout
        )

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=None, **kw):
        return self.request("POST", path, json=json, **kw)

    def put(self, path, json=None, **kw):
        return self.request("PUT", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def created(self, path, body):
        """POST that must answer 201; returns the body."""
        response = self.post(path, body)
        assert response.status_code == 201, (path, response.status_code, response.text)
        return response.json()

    def login(self, phone, password):
        response = self.post("/auth/login", {"phone": phone, "password": password})
        assert response.status_code == 200, response.text
        return Api(self.base_url, response.json()["token"])


@dataclass
class Suite:
    base_url: str
    street_id: str
    admin_phone: str
    password: str
    containers: dict
    database_url: str
    database_urls: dict = field(default_factory=dict)
    amqp_uri: str = ""
    ids: dict = field(default_factory=dict)

    def anonymous(self):
        return Api(self.base_url)

    def admin(self):
        return self.anonymous().login(self.admin_phone, self.password)


def build_community(suite, grids=2, name="海威社区"):
    """A small community: one estate, `grids` grids with a building, unit and two
    households each, and a grid worker per grid. Returns the ids."""
    admin = suite.admin()
    community = admin.created("/communities", {"name": name})
    estate = admin.created("/estates", {"community_id": community["id"], "name": "海威一区"})
    ids = {
        "community": community["id"],
        "estate": estate["id"],
        "grids": [],
        "households": [],
        "workers": [],
        "worker_phones": [],
        "buildings": [],
        "units": [],
    }
    for n in range(1, grids + 1):
        grid = admin.created("/grids", {"community_id": community["id"], "name": f"第{n}网格"})
        building = admin.created(
            "/buildings", {"estate_id": estate["id"], "grid_id": grid["id"], "name": f"{n}号楼"}
        )
        unit = admin.created("/units", {"building_id": building["id"], "name": "1单元"})
        homes = [
            admin.created("/households", {"unit_id": unit["id"], "number": f"10{k}"})
            for k in (1, 2)
        ]
        phone = next_phone()
        worker = admin.created(
            "/people",
            {
                "name": f"网格员{n}",
                "phone": phone,
                "password": suite.password,
                "household_id": homes[1]["id"],
            },
        )
        role = admin.post(
            f"/grids/{grid['id']}/roles", {"person_id": worker["id"], "role": "grid_worker"}
        )
        assert role.status_code == 201, role.text
        ids["grids"].append(grid["id"])
        ids["buildings"].append(building["id"])
        ids["units"].append(unit["id"])
        ids["households"].append([h["id"] for h in homes])
        ids["workers"].append(worker["id"])
        ids["worker_phones"].append(phone)
    return ids
