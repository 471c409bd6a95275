"""Demo appeals for `make run`: 海威's 67 sorted problems (2 legacy, 30 infrastructure,
35 daily), raised by the demo residents and taken through their lifecycle in part."""

import os

from sqlalchemy import func, select

from appeals import app as appeals_app
from appeals.models import Appeal
from appeals.service import MIGRATIONS as APPEALS_MIGRATIONS
from grid import app as grid_app
from grid.models import GridRole, Person
from yzw_kernel.db import Store, database_url

SETTINGS = {"deadlines": {"default_hours": 72}, "quorum_share": 0.5}
PROBLEMS = (
    [("legacy", "历史遗留：车棚产权不清")] * 2
    + [
        ("infrastructure", title)
        for title in ("楼道灯损坏", "下水管道堵塞", "路面坑洼", "单元门禁失灵", "外墙皮脱落")
    ]
    * 6
    + [
        ("daily", title)
        for title in ("垃圾未及时清运", "楼道堆放杂物", "宠物扰民", "车辆乱停", "绿地缺少维护")
    ]
    * 7
)


def open_appeals_store():
    url = os.environ.get("APPEALS_DATABASE_URL") or database_url({}, "appeals")
    store = Store(url, source="appeals", migrations=APPEALS_MIGRATIONS)
    store.migrate()
    return store


def load_demo_appeals(grid_store):
    """Raise the demo appeals once; returns how many, or None if they were there."""
    store = open_appeals_store()
    try:
        with store.reading() as session:
            if session.scalar(select(func.count()).select_from(Appeal)):
                return None
        with grid_store.transaction() as tx:
            residents = tx.session.scalars(
                select(Person.id)
                .where(
                    Person.household_id.is_not(None), Person.id.not_in(select(GridRole.person_id))
                )
                .order_by(Person.phone)
            ).all()
            people = {pid: grid_app.principal(tx, pid) for pid in residents}
            places = {pid: grid_app.locate(tx, p["household_id"]) for pid, p in people.items()}
            workers = {}
            for place in places.values():
                for staff in place["grid_staff"]:
                    if staff["role"] == "grid_worker":
                        workers[place["grid"]["id"]] = grid_app.principal(tx, staff["person_id"])
        for n, (category, title) in enumerate(PROBLEMS):
            who = residents[n % len(residents)]
            data = {
                "category": category,
                "title": title,
                "household_id": people[who]["household_id"],
                "description": f"{title}，请网格员尽快处理。",
            }
            with store.transaction() as tx:
                made = appeals_app.submit(tx, people[who], places[who], data, SETTINGS)
            worker = workers.get(made["grid_id"])
            if worker is None or n % 5 == 0:
                continue  # some wait for their handler
            with store.transaction() as tx:
                appeals_app.claim(tx, worker, made["id"])
            if n % 5 == 1:
                continue  # some are being worked on
            with store.transaction() as tx:
                appeals_app.resolve(tx, worker, made["id"], {"resolution": "已上门处理完毕"})
            with store.transaction() as tx:
                score = 5 if n % 3 else 4
                appeals_app.rate(tx, people[who], made["id"], {"score": score}, SETTINGS)
        return len(PROBLEMS)
    finally:
        store.dispose()
