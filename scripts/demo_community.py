"""The demo community for `make run` (never for a deployment): a 海威-shaped community.

Five estates, five grids, buildings, units and households (homes and shops),
residents, party members (在册 and 报到), a grid worker per grid, building
heads, one grid leader across three grids, the party tree with functional
branches and action groups, six member organisations on the 双月轮值 roster,
and some door-to-door visits. Loading twice changes nothing.
"""

import os
import sys
from datetime import timedelta

from demo_appeals import load_demo_appeals
from demo_volunteer import load_demo_volunteering
from sqlalchemy import select

from grid import app
from grid.admin import create_street_admin, open_store
from grid.models import Community
from yzw_kernel.types import utcnow

PASSWORD = "yizhangwang"
STREET = "昆都仑区少先路街道"
COMMUNITY = "海威社区"
LOGINS = {
    "street admin": "13800000001",
    "grid worker": "13800000002",
    "resident": "13800000003",
    "treasurer": "13800000004",
}
ESTATES = ["海威一区", "海威二区", "海威三区", "鹿城苑", "钢苑小区"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["秀英", "建国", "桂兰", "志强", "海燕", "文明", "玉梅", "国庆", "丽华", "振华"]


def _name(n):
    return SURNAMES[n % len(SURNAMES)] + GIVEN[(n // len(SURNAMES)) % len(GIVEN)]


class Builder:
    def __init__(self, tx, actor_id):
        self.tx = tx
        self.actor = actor_id
        self.phone = 13810000000

    def person(self, household_id, name, phone=None, **extra):
        if phone is None:
            self.phone += 1
            phone = str(self.phone)
        data = {
            "name": name,
            "phone": phone,
            "password": PASSWORD,
            "household_id": household_id,
            **extra,
        }
        return app.register_person(self.tx, self.actor, data)["id"]

    def role(self, grid_id, person_id, role, **scope):
        data = {"person_id": person_id, "role": role, **scope}
        app.assign_grid_role(self.tx, self.actor, grid_id, data)

    def org(self, community_id, kind, name, parent=None, **extra):
        data = {
            "community_id": community_id,
            "kind": kind,
            "name": name,
            "parent_id": parent,
            **extra,
        }
        return app.create_party_org(self.tx, self.actor, data)["id"]


def load_demo(store):
    """Load the demo community once; returns a summary, or None if it was there already."""
    admin = create_street_admin(store, STREET, "街道管理员", LOGINS["street admin"], PASSWORD)
    with store.transaction() as tx:
        exists = tx.session.scalar(
            select(Community.id).where(
                Community.street_id == admin["street_id"], Community.name == COMMUNITY
            )
        )
        if exists:
            return None
        return _build(tx, admin)


def _build(tx, admin):
    b = Builder(tx, admin["person_id"])
    community = app.create_community(tx, b.actor, {"name": COMMUNITY, "street": admin["street_id"]})
    cid = community["id"]
    app.grant_admin_role(tx, b.actor, cid, {"person_id": b.actor, "role": "community_admin"})

    grids = [
        app.create_grid(tx, b.actor, {"community_id": cid, "name": f"第{n}网格"})["id"]
        for n in range(1, 6)
    ]
    committee = b.org(cid, "community_committee", "海威社区党委")
    branches = [
        b.org(cid, "grid_branch", f"第{n}网格党支部", committee, grid_id=g)
        for n, g in enumerate(grids, start=1)
    ]
    for focus, name in (
        ("volunteer_service", "志愿服务党支部"),
        ("culture", "文体曲艺党支部"),
        ("tongxin", "同心党支部"),
    ):
        b.org(cid, "functional_branch", name, committee, focus=focus)
    for focus, name in (
        ("mediation", "和事佬行动党小组"),
        ("patrol", "平安灯行动党小组"),
        ("parking", "文明停车行动党小组"),
    ):
        b.org(cid, "action_group", name, committee, focus=focus)

    households, n_people = [], 0
    party_members = []
    for e, estate_name in enumerate(ESTATES):
        estate = app.create_estate(tx, b.actor, {"community_id": cid, "name": estate_name})["id"]
        for k in range(1, 5):  # four buildings an estate, spread over the grids
            grid_index = (e * 4 + k - 1) % len(grids)
            building = app.create_building(
                tx, b.actor, {"estate_id": estate, "grid_id": grids[grid_index], "name": f"{k}号楼"}
            )["id"]
            group = b.org(
                cid,
                "building_group",
                f"{estate_name}{k}号楼党小组",
                branches[grid_index],
                building_id=building,
            )
            for u in (1, 2):
                unit = app.create_unit(tx, b.actor, {"building_id": building, "name": f"{u}单元"})[
                    "id"
                ]
                for floor in (1, 2, 3):
                    number = f"{floor}0{u}"
                    home = app.create_household(tx, b.actor, {"unit_id": unit, "number": number})[
                        "id"
                    ]
                    households.append((home, grids[grid_index], building, group))
            if k == 1:  # street-front shops 商铺 under the first building
                unit = app.create_unit(tx, b.actor, {"building_id": building, "name": "底商"})["id"]
                for s in range(1, 4):
                    app.create_household(
                        tx, b.actor, {"unit_id": unit, "number": f"商{s}", "kind": "shop"}
                    )

    # The demo logins first, in the first grid.
    first_home, first_grid = households[0][0], households[0][1]
    worker = b.person(households[1][0], "刘网格", LOGINS["grid worker"])
    b.role(first_grid, worker, "grid_worker")
    b.person(first_home, "张大妈", LOGINS["resident"])
    treasurer = b.person(households[2][0], "赵会计", LOGINS["treasurer"])
    app.grant_admin_role(tx, b.actor, cid, {"person_id": treasurer, "role": "treasurer"})

    # A worker for every other grid, one leader across three grids (一人多格).
    for g in grids[1:]:
        home = next(h for h, grid, _, _ in households if grid == g)
        n_people += 1
        b.role(g, b.person(home, _name(n_people) + "（网格员）"), "grid_worker")
    leader = b.person(households[3][0], "高网格长")
    for g in grids[:3]:
        b.role(g, leader, "grid_leader")

    # Residents in most households; every sixth a party member, some reporting (报到).
    for i, (home, grid_id, building, group) in enumerate(households[4:], start=4):
        if i % 4 == 3:
            continue
        n_people += 1
        extra = {}
        if i % 6 == 0:
            extra = (
                {"party_member": True, "party_membership": "reporting", "employer": "包钢集团"}
                if i % 12 == 0
                else {"party_member": True}
            )
        person = b.person(home, _name(n_people), **extra)
        if extra:
            party_members.append((person, group))
        if i % 6 == 4:
            b.role(grid_id, person, "building_head", building_id=building)
    for person, group in party_members:
        app.add_party_org_member(tx, b.actor, group, {"person_id": person})
    if party_members:
        person, group = party_members[0]
        app.create_party_org(
            tx,
            b.actor,
            {
                "community_id": cid,
                "kind": "central_household",
                "name": "党员中心户",
                "parent_id": group,
                "household_id": households[6][0],
            },
        )

    orgs = [
        app.create_member_org(tx, b.actor, {"community_id": cid, "name": name, "kind": kind})["id"]
        for name, kind in (
            ("包钢集团第三分公司", "enterprise"),
            ("昆区第五小学", "institution"),
            ("海威物业公司", "property_company"),
            ("鹿城社工服务中心", "social_organisation"),
            ("少先路派出所", "institution"),
            ("惠民超市", "shop"),
        )
    ]
    app.set_duty_roster(tx, b.actor, cid, utcnow().year, {"member_org_ids": orgs})

    worker_actor = worker
    for home, grid_id, _, _ in households[:12]:
        if grid_id == first_grid:
            app.log_visit(
                tx,
                worker_actor,
                {
                    "household_id": home,
                    "notes": "入户走访，了解需求",
                    "visited_at": (utcnow() - timedelta(days=2)).isoformat(),
                },
            )
    return {
        "community_id": cid,
        "grids": len(grids),
        "households": len(households),
        "people": n_people + 5,
    }


def main():
    store = open_store()
    try:
        summary = load_demo(store)
        appeals = load_demo_appeals(store)
        rewards = load_demo_volunteering(store, LOGINS["grid worker"], LOGINS["street admin"])
    finally:
        store.dispose()
    if summary is None:
        print(f"demo: {COMMUNITY} is already loaded")
    else:
        print(
            f"demo: loaded {COMMUNITY}: {summary['grids']} grids, "
            f"{summary['households']} households, {summary['people']} people"
        )
    if appeals is not None:
        print(f"demo: raised {appeals} appeals (2 legacy, 30 infrastructure, 35 daily)")
    if rewards is not None:
        print(f"demo: a volunteer team, an activity next Saturday and {rewards} rewards")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
