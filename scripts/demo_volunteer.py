"""Demo volunteering for `make run`: a team led by the demo grid worker, an activity
next Saturday, and the community's reward catalogue (理疗, 头疗, 艾灸, venue use)."""

import os
from datetime import timedelta

from sqlalchemy import func, select

from grid import app as grid_app
from grid.models import Person
from volunteer import app as volunteer_app
from volunteer.domain import ActivityLimits
from volunteer.models import Team
from volunteer.service import MIGRATIONS as VOLUNTEER_MIGRATIONS
from yzw_kernel.db import Store, database_url
from yzw_kernel.types import utcnow

REWARDS = [("理疗一次", 30, 20), ("头疗一次", 20, 30), ("艾灸一次", 25, 20), ("活动室半天", 10, 50)]


def grid_principals(grid_store):
    """What volunteer asks grid over RPC when it runs: who the people named are."""

    def principals(person_ids):
        with grid_store.transaction() as tx:
            return grid_app.principals(tx, person_ids)

    return principals


def load_demo_volunteering(grid_store, worker_phone, admin_phone):
    url = os.environ.get("VOLUNTEER_DATABASE_URL") or database_url({}, "volunteer")
    store = Store(url, source="volunteer", migrations=VOLUNTEER_MIGRATIONS)
    store.migrate()
    try:
        with store.reading() as session:
            if session.scalar(select(func.count()).select_from(Team)):
                return None
        with grid_store.transaction() as tx:
            worker, admin = (
                tx.session.scalar(select(Person.id).where(Person.phone == phone))
                for phone in (worker_phone, admin_phone)
            )
            leader = grid_app.principal(tx, worker)
            boss = grid_app.principal(tx, admin)
            provider = tx.session.scalar(
                select(Person.id).where(Person.party_membership.is_not(None)).limit(1)
            )
        community = leader["community_id"]
        people = grid_principals(grid_store)
        with store.transaction() as tx:
            team = volunteer_app.create_team(
                tx,
                boss,
                {
                    "community_id": community,
                    "name": "海威红色志愿服务队",
                    "focus": "assistance",
                    "leader_id": worker,
                },
                people,
            )
        saturday = utcnow().replace(hour=1, minute=0, second=0, microsecond=0)
        saturday += timedelta(days=(5 - saturday.weekday()) % 7 or 7)
        with store.transaction() as tx:
            volunteer_app.create_activity(
                tx,
                leader,
                {
                    "team_id": team["id"],
                    "title": "助老理发与义诊",
                    "place": "海威社区活动中心",
                    "starts_at": saturday,
                    "ends_at": saturday + timedelta(hours=3),
                    "capacity": 20,
                    "stars_per_hour": 5,
                },
                ActivityLimits(),
            )
            for name, price, stock in REWARDS:
                volunteer_app.create_reward(
                    tx,
                    boss,
                    {
                        "community_id": community,
                        "name": name,
                        "provider_id": provider,
                        "price_stars": price,
                        "stock": stock,
                    },
                    people,
                )
        return len(REWARDS)
    finally:
        store.dispose()
