"""Appeal statistics on SQLite and PostgreSQL: 海威's 67 sorted problems counted by status,
category, source and grid, with medians worked out by hand from set timestamps, the
share of good ratings and the overdue count; who may see them; and the gateway route.

The 67 appeals are raised and moved through the service layer (claimed, resolved,
rated, rejected, withdrawn) as residents and grid workers would; then their
timestamps are set to known values so the medians can be worked out by hand."""

import random
import statistics
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from api_client import build_community, next_phone
from conftest import APPEALS_TEST_CONFIG
from sqlalchemy import text, update
from usecases import run

from appeals import app, domain
from appeals import stats as appeal_stats
from appeals.models import Appeal, TimelineEntry
from appeals.service import MIGRATIONS
from yzw_kernel.db import Store
from yzw_kernel.errors import Forbidden, InvalidInput
from yzw_kernel.types import utcnow

SETTINGS = {"deadlines": APPEALS_TEST_CONFIG["DEADLINES"], "quorum_share": 0.5}
STREET, COMMUNITY = "street-1", "community-1"
GRIDS = ("grid-1", "grid-2")

# 海威 sorted 67 problems: 2 legacy 遗留问题, 30 infrastructure 基础设施, 35 daily 日常发现.
CATEGORIES = ["legacy"] * 2 + ["infrastructure"] * 30 + ["daily"] * 35
random.Random(67).shuffle(CATEGORIES)

# What happens to each of the 67, in order, and where it came from.
PLAN = (
    [("closed", "resident_app", 5)] * 16
    + [("closed", "resident_app", 4)] * 4
    + [("closed", "resident_app", 3)] * 4
    + [("reopened", "resident_app", 1)] * 2  # rated 1: back to its handler 重办
    + [("withdrawn", "resident_app", None)] * 2
    + [("resolved", "visit", None)] * 6
    + [("claimed", "patrol", None)] * 8
    + [("rejected", "hotline", None)] * 3
    + [("dispatched", "visit", None)] * 10
    + [("dispatched", "patrol", None)] * 6
    + [("dispatched", "hotline", None)] * 6
)
# Open ones moved past their deadline (a claimed one and five waiting), and two that are
# over whose old deadline has passed too, which do not count. The open ones are with the
# departments already, where the overdue timer of a running service cannot move them.
OVERDUE = {34, 45, 46, 47, 48, 49}
PAST_DEADLINE_BUT_OVER = {0, 42}
RESOLVE_AFTER_CLAIM_HOURS = 10


def grid_of(index):
    return GRIDS[1] if index % 3 == 0 else GRIDS[0]


def principal(pid, household=None, community=COMMUNITY, grid_roles=(), admin_roles=()):
    return {
        "person_id": pid,
        "name": pid,
        "household_id": household,
        "community_id": community if household else None,
        "grid_roles": [{"grid_id": g, "community_id": community, "role": r} for g, r in grid_roles],
        "admin_roles": [
            dict(zip(("role", "community_id", "street_id"), a, strict=False)) for a in admin_roles
        ],
    }


def load_haiwei(store, street, community, grids, workers):
    """Raise and move the 67 appeals; set their timestamps. Returns the claim and
    resolve hours set on each appeal (by plan index), for the expected medians."""
    base = utcnow() - timedelta(days=60)
    claim_hours, resolve_hours = {}, {}
    ids = []
    for index, ((outcome, source, score), category) in enumerate(
        zip(PLAN, CATEGORIES, strict=True)
    ):
        grid = grids[1] if grid_of(index) == GRIDS[1] else grids[0]
        worker_id = workers[grids.index(grid)]
        worker = principal(worker_id, grid_roles=[(grid, "grid_worker")], community=community)
        home = f"home-{index}"
        resident = principal(f"resident-{index}", home, community=community)
        place = {
            "household": {"id": home, "building": {"id": f"building-{home}"}},
            "grid": {"id": grid, "name": grid, "community_id": community, "street_id": street},
            "grid_staff": [{"person_id": worker_id, "name": "网格员", "role": "grid_worker"}],
        }
        data = {"category": category, "title": f"问题{index}", "description": "海威梳理"}
        data |= {"household_id": home, "source": source}
        raiser = resident if source == "resident_app" else worker
        appeal_id = run(store, app.submit, raiser, place, data, SETTINGS)["id"]
        ids.append(appeal_id)
        if outcome in ("closed", "reopened", "resolved", "claimed"):
            run(store, app.claim, worker, appeal_id)
            claim_hours[index] = len(claim_hours) + 1  # 1, 2, 3... in plan order
        if outcome in ("closed", "reopened", "resolved"):
            run(store, app.resolve, worker, appeal_id, {"resolution": "已处理"})
            resolve_hours[index] = claim_hours[index] + RESOLVE_AFTER_CLAIM_HOURS
        if score is not None:
            run(store, app.rate, resident, appeal_id, {"score": score}, SETTINGS)
        if outcome == "withdrawn":
            run(store, app.withdraw, resident, appeal_id, {})
        if outcome == "rejected":
            run(store, app.reject, worker, appeal_id, {"reason": "属于物业职责"})
    with store.transaction() as tx:
        for index, appeal_id in enumerate(ids):
            values = {"created_at": base}
            if index in claim_hours:
                values["claimed_at"] = base + timedelta(hours=claim_hours[index])
            if index in resolve_hours:
                values["resolved_at"] = base + timedelta(hours=resolve_hours[index])
            if index in OVERDUE | PAST_DEADLINE_BUT_OVER:
                values["deadline_at"] = utcnow() - timedelta(hours=1)
            if index in OVERDUE:
                values["level"] = "department"
            tx.session.execute(update(Appeal).where(Appeal.id == appeal_id).values(**values))
    return claim_hours, resolve_hours


@pytest.fixture
def store(database_url):
    store = Store(database_url, source="appeals", migrations=MIGRATIONS)
    store.migrate()
    yield store
    store.dispose()


@pytest.fixture
def haiwei(store):
    hours = load_haiwei(store, STREET, COMMUNITY, list(GRIDS), ["worker-1", "worker-2"])
    # one appeal elsewhere, which no statistic of 海威 counts
    elsewhere = {
        "household": {"id": "far-home", "building": {"id": "far-building"}},
        "grid": {"id": "grid-9", "community_id": "community-2", "street_id": STREET},
        "grid_staff": [],
    }
    far = principal("far-resident", "far-home", community="community-2")
    data = {"category": "legacy", "title": "别处", "description": "d", "household_id": "far-home"}
    run(store, app.submit, far, elsewhere, data, SETTINGS)
    return hours


ADMIN = principal("admin", admin_roles=[("community_admin", COMMUNITY, None)])
STREET_ADMIN = principal("street-admin", admin_roles=[("street_admin", None, STREET)])
WORKER_1 = principal("worker-1", "home-w1", grid_roles=[(GRIDS[0], "grid_worker")])
HEAD_2 = principal("head-2", "home-h2", grid_roles=[(GRIDS[1], "building_head")])
RESIDENT = principal("resident-0", "home-0")
OUTSIDER = principal("other-admin", admin_roles=[("community_admin", "community-2", None)])


def test_haiwei_67_sorted_problems_are_counted_exactly(store, haiwei):
    result = run(store, appeal_stats.stats, ADMIN, {"community_id": COMMUNITY})

    assert result["total"] == 67
    assert {k: v for k, v in result["by_category"].items() if v} == {
        "legacy": 2,
        "infrastructure": 30,
        "daily": 35,
    }
    assert set(result["by_category"]) == set(domain.CATEGORIES)  # the rest are zeros
    assert result["by_status"] == {
        "submitted": 0,
        "dispatched": 24,  # 22 waiting with their grid worker, 2 reopened by a rating of 1
        "claimed": 8,
        "resolved": 6,
        "closed": 24,
        "rejected": 3,
        "withdrawn": 2,
    }
    assert result["by_source"] == {"resident_app": 28, "visit": 16, "patrol": 14, "hotline": 9}
    assert result["by_grid"] == {"grid-1": 44, "grid-2": 23}
    # 40 claimed, after 1, 2, ... 40 hours: the median of 40 is between the 20th and 21st
    assert result["median_hours_to_claim"] == 20.5
    # 32 resolved, 10 hours after each claim: 11 ... 42 hours, median between 26 and 27
    assert result["median_hours_to_resolve"] == 26.5
    # 24 closed (16 fives, 4 fours, 4 threes) and 2 reopened by a 1: 20 of 26 satisfied
    assert result["rated"] == 26
    assert result["satisfaction"] == round(20 / 26, 4)
    assert result["overdue"] == 6
    assert (result["community_id"], result["grid_id"]) == (COMMUNITY, None)


def test_a_grids_statistics_count_only_its_appeals(store, haiwei):
    claim_hours, resolve_hours = haiwei
    result = run(store, appeal_stats.stats, HEAD_2, {"grid_id": GRIDS[1]})

    mine = [i for i in range(67) if grid_of(i) == GRIDS[1]]
    assert result["total"] == len(mine) == 23
    assert result["by_grid"] == {GRIDS[1]: 23}
    assert sum(result["by_category"].values()) == 23
    assert result["by_category"]["daily"] == sum(CATEGORIES[i] == "daily" for i in mine)
    closed_here = [i for i in mine if PLAN[i][0] == "closed"]
    assert result["by_status"]["closed"] == len(closed_here)
    ratings = [PLAN[i][2] for i in mine if PLAN[i][2] is not None]
    assert result["rated"] == len(ratings)
    assert result["satisfaction"] == round(sum(r >= 4 for r in ratings) / len(ratings), 4)
    assert result["median_hours_to_claim"] == statistics.median(
        claim_hours[i] for i in mine if i in claim_hours
    )
    assert result["median_hours_to_resolve"] == statistics.median(
        resolve_hours[i] for i in mine if i in resolve_hours
    )
    assert result["overdue"] == len([i for i in mine if i in OVERDUE])


def test_staff_of_the_community_and_its_grids_see_them_and_nobody_else(store, haiwei):
    for who in (ADMIN, STREET_ADMIN, WORKER_1, HEAD_2):  # a role in any of its grids will do
        assert run(store, appeal_stats.stats, who, {"community_id": COMMUNITY})["total"] == 67
    for who in (RESIDENT, OUTSIDER):
        with pytest.raises(Forbidden):
            run(store, appeal_stats.stats, who, {"community_id": COMMUNITY})
    # a grid's figures are for its own staff and the admins above it
    assert run(store, appeal_stats.stats, ADMIN, {"grid_id": GRIDS[0]})["total"] == 44
    assert run(store, appeal_stats.stats, STREET_ADMIN, {"grid_id": GRIDS[1]})["total"] == 23
    for who in (HEAD_2, RESIDENT, OUTSIDER):
        with pytest.raises(Forbidden):
            run(store, appeal_stats.stats, who, {"grid_id": GRIDS[0]})
    # a community without appeals yet: zeros for its admin, nothing for anyone else
    fresh = principal("fresh-admin", admin_roles=[("community_admin", "community-3", None)])
    empty = run(store, appeal_stats.stats, fresh, {"community_id": "community-3"})
    assert (empty["total"], empty["rated"], empty["overdue"]) == (0, 0, 0)
    assert empty["satisfaction"] is None and empty["median_hours_to_claim"] is None
    assert empty["by_grid"] == {} and set(empty["by_status"].values()) == {0}
    with pytest.raises(Forbidden):
        run(store, appeal_stats.stats, ADMIN, {"community_id": "community-3"})


@pytest.mark.parametrize(
    "query",
    [{}, {"community_id": COMMUNITY, "grid_id": GRIDS[0]}, {"community_id": ""}, {"x": "1"}],
    ids=["neither", "both", "empty", "unknown"],
)
def test_a_query_names_a_community_or_a_grid(store, query):
    with pytest.raises(InvalidInput):
        run(store, appeal_stats.stats, ADMIN, query)


# -- satisfaction by month ---------------------------------------------------------------

MONTHLY = "community-m"


def rated(store, score, grid="grid-m1", community=MONTHLY, again=None):
    """An appeal raised by a resident, claimed, resolved and rated `score` now; rated
    `again` after its handler resolves it once more, if the first rating reopened it."""
    home = f"home-{uuid.uuid4().hex[:8]}"
    resident = principal(f"resident-{home}", home, community=community)
    worker = principal(f"worker-{grid}", grid_roles=[(grid, "grid_worker")], community=community)
    place = {
        "household": {"id": home, "building": {"id": f"building-{home}"}},
        "grid": {"id": grid, "name": grid, "community_id": community, "street_id": STREET},
        "grid_staff": [],
    }
    data = {"category": "daily", "title": "路灯不亮", "description": "d", "household_id": home}
    appeal_id = run(store, app.submit, resident, place, data, SETTINGS)["id"]
    for score_now in (score, again) if again is not None else (score,):
        run(store, app.claim, worker, appeal_id)
        run(store, app.resolve, worker, appeal_id, {"resolution": "已修好"})
        run(store, app.rate, resident, appeal_id, {"score": score_now}, SETTINGS)
    return appeal_id


def month_label(moment, months_back=0):
    index = moment.year * 12 + moment.month - 1 - months_back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def none_rated(month):
    return {"month": month, "rated": 0, "satisfied": 0, "satisfaction": None}


def test_satisfaction_by_month_counts_this_months_ratings_and_zeros_before(store):
    for score, grid in ((5, "grid-m1"), (4, "grid-m2"), (2, "grid-m1")):  # the 2 reopens it
        rated(store, score, grid)
    rated(store, 3, "grid-9", community="community-2")  # elsewhere: not counted
    admin = principal("admin-m", admin_roles=[("community_admin", MONTHLY, None)])
    now = utcnow()

    result = run(store, appeal_stats.stats, admin, {"community_id": MONTHLY})

    months = result["satisfaction_by_month"]
    assert [m["month"] for m in months] == [month_label(now, back) for back in range(11, -1, -1)]
    assert months[-1] == {
        "month": month_label(now),
        "rated": 3,
        "satisfied": 2,
        "satisfaction": round(2 / 3, 4),
    }
    assert months[-1]["satisfaction"] == pytest.approx(0.667, abs=0.001)
    assert months[:-1] == [none_rated(m["month"]) for m in months[:-1]]
    assert (result["rated"], result["satisfaction"]) == (3, round(2 / 3, 4))
    # a grid's months count its own ratings
    grid = run(store, appeal_stats.stats, admin, {"grid_id": "grid-m1"})["satisfaction_by_month"]
    assert (grid[-1]["rated"], grid[-1]["satisfied"], grid[-1]["satisfaction"]) == (2, 1, 0.5)
    # a community without ratings: twelve empty months
    fresh = principal("fresh-admin", admin_roles=[("community_admin", "community-3", None)])
    empty = run(store, appeal_stats.stats, fresh, {"community_id": "community-3"})
    assert empty["satisfaction_by_month"] == [none_rated(m["month"]) for m in months]


def test_each_rating_counts_once_in_the_utc_month_it_was_given(store, monkeypatch):
    now = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(appeal_stats, "utcnow", lambda: now)
    closed_at = {
        rated(store, 5): datetime(2026, 2, 1, tzinfo=UTC),  # the window's first instant
        rated(store, 4): datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC),  # just before it
        # 2 reopened it, then 3 closed it: its latest rating, in December, alone counts
        rated(store, 2, again=3): datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC),
        rated(store, 5): datetime(2027, 1, 2, tzinfo=UTC),
        rated(store, 4): datetime(2027, 1, 15, 11, 0, tzinfo=UTC),
    }
    reopened = rated(store, 1)  # reopened 重办 and not rated since: rated when it reopened
    with store.transaction() as tx:
        for appeal_id, moment in closed_at.items():
            tx.session.execute(
                update(Appeal).where(Appeal.id == appeal_id).values(closed_at=moment)
            )
        tx.session.execute(
            update(TimelineEntry)
            .where(TimelineEntry.action == "reopen")
            .values(at=datetime(2026, 8, 1, tzinfo=UTC))
        )
        tx.session.execute(
            update(TimelineEntry)
            .where(TimelineEntry.appeal_id == reopened, TimelineEntry.action == "reopen")
            .values(at=datetime(2026, 10, 10, 8, 0, tzinfo=UTC))
        )
    if store.engine.dialect.name == "postgresql":
        # the database may keep Beijing time, where 一张网 runs: the months are still UTC's
        with store.engine.connect() as connection:
            name = connection.scalar(text("SELECT current_database()"))
            connection.execute(text(f"ALTER DATABASE \"{name}\" SET timezone TO 'Asia/Shanghai'"))
            connection.commit()
        store.engine.dispose()
    admin = principal("admin-m", admin_roles=[("community_admin", MONTHLY, None)])

    months = run(store, appeal_stats.stats, admin, {"community_id": MONTHLY})[
        "satisfaction_by_month"
    ]

    def counted(ratings, satisfied, share):
        return {"rated": ratings, "satisfied": satisfied, "satisfaction": share}

    expected = {
        "2026-02": counted(1, 1, 1.0),
        "2026-10": counted(1, 0, 0.0),
        "2026-12": counted(1, 0, 0.0),
        "2027-01": counted(2, 2, 1.0),
    }
    labels = [f"2026-{m:02d}" for m in range(2, 13)] + ["2027-01"]
    assert months == [
        {"month": label, **expected[label]} if label in expected else none_rated(label)
        for label in labels
    ]


# -- through the gateway ---------------------------------------------------------------


def test_the_gateway_reports_haiwei_67_to_the_office_and_refuses_residents(suite):
    ids = build_community(suite, grids=2)
    store = Store(suite.database_urls["appeals"], source="appeals", migrations=MIGRATIONS)
    try:
        load_haiwei(store, suite.street_id, ids["community"], ids["grids"], ids["workers"])
    finally:
        store.dispose()
    office = suite.admin()  # the street admin who built 海威: admin of its communities
    path = f"/stats/appeals?community_id={ids['community']}"

    answer = office.get(path)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == 67
    assert (body["by_category"]["legacy"], body["by_category"]["infrastructure"]) == (2, 30)
    assert body["by_category"]["daily"] == 35
    assert body["by_grid"] == {ids["grids"][0]: 44, ids["grids"][1]: 23}
    assert body["by_status"]["closed"] == 24 and body["by_source"]["resident_app"] == 28
    assert (body["median_hours_to_claim"], body["median_hours_to_resolve"]) == (20.5, 26.5)
    assert (body["rated"], body["satisfaction"], body["overdue"]) == (26, 0.7692, 6)
    # all 26 were rated just now: this month's, and the eleven before are empty
    months = body["satisfaction_by_month"]
    assert len(months) == 12 and months[-1]["month"] == month_label(utcnow())
    assert months[-1] == {**months[-1], "rated": 26, "satisfied": 20, "satisfaction": 0.7692}
    assert {(m["rated"], m["satisfaction"]) for m in months[:-1]} == {(0, None)}
    board = office.get(f"/communities/{ids['community']}/dashboard")
    assert board.status_code == 200, board.text
    assert board.json()["appeals"]["satisfaction_by_month"] == months
    grid = office.get(f"/stats/appeals?grid_id={ids['grids'][1]}")
    assert grid.status_code == 200 and grid.json()["total"] == 23
    worker = suite.anonymous().login(ids["worker_phones"][0], suite.password)
    assert worker.get(path).json()["total"] == 67  # grid staff of one of its grids

    phone = next_phone()
    office.created(
        "/people",
        {
            "name": "居民",
            "phone": phone,
            "password": suite.password,
            "household_id": ids["households"][0][0],
        },
    )
    resident = suite.anonymous().login(phone, suite.password)
    refused = resident.get(path)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    missing = office.get("/stats/appeals")
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_input"
    assert suite.anonymous().get(path).status_code == 401
