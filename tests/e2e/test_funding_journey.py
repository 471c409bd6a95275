"""The 共建实践金 through the gateway, over real RabbitMQ: residents' appeals become a
定向投 project that the fund pays for and that resolves them, and 蓝天街道's figures
come out of the public report and ledger to the fen."""

import csv
import io
import uuid
from collections import Counter, defaultdict

import pytest
from api_client import build_community, next_phone
from waiting import wait_until

# the journeys run on PostgreSQL too: every service on a database of its own
pytestmark = pytest.mark.both_backends

APPEAL = {"category": "parking", "title": "小区停车难", "description": "晚上车位不够，消防通道被占"}


def person(suite, admin, household_id, name):
    """A registered person and their logged-in client."""
    phone = next_phone()
    made = admin.created(
        "/people",
        {"name": name, "phone": phone, "password": suite.password, "household_id": household_id},
    )
    return made, suite.anonymous().login(phone, suite.password)


def grant(admin, community_id, person_id, role):
    granted = admin.post(
        f"/communities/{community_id}/admins", {"person_id": person_id, "role": role}
    )
    assert granted.status_code == 201, granted.text


def staffed_community(suite):
    """A one-grid community with a community admin (the chair) and a treasurer."""
    ids = build_community(suite, grids=1)
    admin = suite.admin()
    homes = ids["households"][0]
    chair, chair_api = person(suite, admin, homes[0], "社区书记")
    grant(admin, ids["community"], chair["id"], "community_admin")
    treasurer, treasurer_api = person(suite, admin, homes[1], "赵会计")
    grant(admin, ids["community"], treasurer["id"], "treasurer")
    return ids, admin, chair_api, treasurer_api


def donate(api, fund_id, body, key=None):
    response = api.post(
        f"/funds/{fund_id}/donations",
        body,
        headers={"Idempotency-Key": key or uuid.uuid4().hex},
    )
    assert response.status_code == 201, (body, response.status_code, response.text)
    return response.json()


def ok(response):
    assert response.status_code == 200, (response.request.url, response.status_code, response.text)
    return response.json()


def test_a_proposal_of_appeals_is_funded_built_and_resolves_them(suite):
    ids, admin, chair, treasurer = staffed_community(suite)
    community = ids["community"]
    home = ids["households"][0][0]
    _, alice = person(suite, admin, home, "王秀英")
    needs = [alice.created("/appeals", {**APPEAL, "household_id": home})["id"] for _ in range(2)]
    unrelated = alice.created("/appeals", {**APPEAL, "household_id": home})["id"]
    fund = chair.created("/funds", {"name": "共建实践金", "community_id": community})
    donate(
        treasurer,
        fund["id"],
        {
            "channel": "caring",
            "amount_fen": 2_000_000,
            "donor_kind": "member_org",
            "donor_name": "惠民超市",
            "show_name": True,
        },
    )
    donate(treasurer, fund["id"], {"channel": "mutual_aid", "amount_fen": 50_000})

    proposal = chair.created(
        "/project-proposals",
        {
            "title": "东门空地改建停车位",
            "appeal_ids": needs,
            "estimated_cost_fen": 1_250_000,
            "beneficiaries": 1200,
        },
    )

    def proposed():
        listed = ok(chair.get(f"/projects?community_id={community}"))["items"]
        return len(listed) == 1 and listed[0]

    project = wait_until(proposed, message="funding to hear appeals.project_proposed")
    assert project["proposal_id"] == proposal["id"]
    assert project["appeal_ids"] == sorted(needs)
    assert (project["status"], project["title"]) == ("proposed", "东门空地改建停车位")
    assert (project["estimated_cost_fen"], project["beneficiaries"]) == (1_250_000, 1200)
    assert project["fund_id"] == fund["id"]  # the community's only fund
    path = f"/projects/{project['id']}"

    assessed = ok(chair.post(f"{path}/assess", {"note": "实地调研：东门空地可划车位40个"}))
    assert assessed["status"] == "assessed"
    approved = ok(chair.post(f"{path}/approve", {"budget_fen": 1_200_000, "fund_id": fund["id"]}))
    assert (approved["status"], approved["budget_fen"]) == ("approved", 1_200_000)
    # money moves only by treasurers: the chair may approve, not pay
    refused = chair.post(f"{path}/fund")
    assert refused.status_code == 403, refused.text
    funded = ok(treasurer.post(f"{path}/fund"))
    assert (funded["status"], funded["funded_fen"]) == ("funded", 1_200_000)
    claimed = chair.created(
        f"{path}/claims",
        {
            "claimant_kind": "member_org",
            "claimant_name": "包钢集团第三分公司",
            "part": "铺设停车位地面",
            "form": "labour",
            "value_fen": 300_000,
        },
    )
    assert claimed["status"] == "claimed"
    assert [(c["claimant_name"], c["part"]) for c in claimed["claims"]] == [
        ("包钢集团第三分公司", "铺设停车位地面")
    ]
    assert ok(chair.post(f"{path}/start"))["status"] == "in_progress"
    completed = ok(
        treasurer.post(f"{path}/complete", {"beneficiaries": 1300, "actual_spend_fen": 1_100_000})
    )
    assert (completed["status"], completed["spent_fen"]) == ("completed", 1_100_000)
    assert completed["completed_at"] is not None

    def resolved():
        bodies = [alice.get(f"/appeals/{a}").json() for a in needs]
        return all(b["status"] == "resolved" for b in bodies) and bodies

    for body in wait_until(resolved, message="appeals to hear funding.project_completed"):
        last = body["timeline"][-1]
        assert last["action"] == "resolve_by_project"
        assert project["id"] in last["note"] and "please rate" in last["note"]
    assert alice.get(f"/appeals/{unrelated}").json()["status"] == "dispatched"

    report = ok(suite.anonymous().get(f"/funds/{fund['id']}/report"))
    assert report["income_total_fen"] == 2_050_000
    assert report["spending_by_purpose"]["projects"] == 1_100_000
    assert report["spending_total_fen"] == 1_100_000
    # 2,050,000 in, 1,200,000 allocated, 100,000 of it not spent and back
    assert report["available_fen"] == 950_000
    assert (report["earmarked_fen"], report["allocated_fen"]) == (0, 0)
    assert report["projects"] == [
        {
            "id": project["id"],
            "title": "东门空地改建停车位",
            "status": "completed",
            "budget_fen": 1_200_000,
            "funded_fen": 1_200_000,
            "spent_fen": 1_100_000,
            "beneficiaries": 1300,
        }
    ]
    # appeals' proposal knows its project was completed
    after = ok(chair.get(f"/project-proposals/{proposal['id']}"))
    assert after["completed_at"] is not None, after


# 蓝天街道: ¥3,000,000 from member organisations, directed to 12 projects ...
PROJECTS = [
    ("老旧小区路灯改造", 3200),
    ("楼道扶手加装", 860),
    ("健身广场翻新", 5400),
    ("停车位划线与智能道闸", 2100),
    ("雨污管网疏通", 4300),
    ("社区食堂适老化改造", 1500),
    ("儿童游乐场改造", 900),
    ("垃圾分类亭建设", 3800),
    ("无障碍坡道", 640),
    ("屋面防水维修", 720),
    ("电动车充电棚", 1800),
    ("红色文化长廊", 2000),
]
# (project index, member organisation, fen): unequal gifts, two projects with two givers
DIRECTED = [
    (0, "准格尔旗能源集团", 30_000_000),
    (0, "蓝天热力公司", 18_000_000),
    (1, "农商银行蓝天支行", 35_000_000),
    (2, "旗人民医院", 32_000_000),
    (3, "中石化蓝天加油站", 28_650_050),
    (4, "国网准格尔供电公司", 15_000_000),
    (4, "蓝天物业服务公司", 10_000_000),
    (5, "准格尔旗第二中学", 23_000_000),
    (6, "蓝天建筑工程公司", 21_000_000),
    (7, "鄂尔多斯煤炭集团", 19_880_000),
    (8, "蓝天商贸中心", 18_500_000),
    (9, "旗自来水公司", 17_000_000),
    (10, "准格尔旗交通运输局", 16_000_000),
    (11, "伊泰集团", 15_969_950),
]
# ... and ¥36,000 from shops, party members and residents: (channel, donor, agreed, fen)
OTHERS = [
    ("caring", "惠民超市", True, 500_000),
    ("caring", "王建军", False, 300_000),
    ("caring", "蓝天药房", True, 250_000),
    ("caring", None, False, 150_000),
    ("leading", "张伟", False, 300_000),
    ("leading", "李建国", True, 200_000),
    ("leading", "刘红", False, 200_000),
    ("leading", "赵敏", True, 100_000),
    ("public_welfare", "陈晓东", True, 250_000),
    ("public_welfare", "孙丽", False, 200_000),
    ("public_welfare", None, False, 150_000),
    ("mutual_aid", "周桂兰", True, 20_000),
    ("mutual_aid", "吴志强", False, 50_000),
    ("mutual_aid", None, False, 100_000),
    ("mutual_aid", "郭海燕", True, 150_000),
    ("mutual_aid", "马国庆", False, 80_000),
    ("mutual_aid", None, False, 120_000),
    ("mutual_aid", "何丽华", True, 200_000),
    ("mutual_aid", "林振华", False, 60_000),
    ("mutual_aid", "高玉梅", True, 118_888),
    ("mutual_aid", None, False, 101_112),
]
MASKED = {
    "王建军": "王**",
    "张伟": "张*",
    "刘红": "刘*",
    "孙丽": "孙*",
    "吴志强": "吴**",
    "马国庆": "马**",
    "林振华": "林**",
}
IN_KIND = [
    ("交通锥300个", 300, 300_000, "蓝天交通设施公司"),
    ("护眼卡100张", 100, 3_600_000, "爱尔眼科医院"),
]
# Budgets: earmarked gifts cover most; 电动车充电棚 takes ¥6,000 of general money and
# 红色文化长廊 needs ¥5,000 less than it was given, which stays earmarked for it.
EXTRA_FROM_GENERAL = {10: 600_000}
LEFT_EARMARKED = {11: 500_000}


def directed_total(index):
    return sum(fen for i, _, fen in DIRECTED if i == index)


def budget(index):
    return directed_total(index) + EXTRA_FROM_GENERAL.get(index, 0) - LEFT_EARMARKED.get(index, 0)


def as_shown(name, agreed):
    if name is None:
        return "匿名"
    return name if agreed else MASKED[name]


def test_lantian_streets_figures_come_out_of_the_public_report_and_ledger(suite):
    assert sum(fen for _, _, fen in DIRECTED) == 300_000_000
    assert sum(fen for *_, fen in OTHERS) == 3_600_000
    ids, _, chair, treasurer = staffed_community(suite)
    community = ids["community"]
    fund = chair.created("/funds", {"name": "蓝天街道共建实践金", "community_id": community})
    projects = [
        chair.created(
            "/projects",
            {
                "community_id": community,
                "fund_id": fund["id"],
                "title": title,
                "estimated_cost_fen": budget(n),
                "beneficiaries": beneficiaries,
            },
        )
        for n, (title, beneficiaries) in enumerate(PROJECTS)
    ]
    assert {p["status"] for p in projects} == {"proposed"}

    # money in, each gift with its own Idempotency-Key
    for index, org, fen in DIRECTED:
        gift = donate(
            treasurer,
            fund["id"],
            {
                "channel": "directed",
                "amount_fen": fen,
                "donor_kind": "member_org",
                "donor_name": org,
                "show_name": True,
                "project_id": projects[index]["id"],
            },
        )
        assert gift["project_id"] == projects[index]["id"]
    retried = None
    for channel, name, agreed, fen in OTHERS:
        body = {"channel": channel, "amount_fen": fen, "note": "蓝天街道募捐"}
        if name is None:
            body["donor_kind"] = "anonymous"
        else:
            body.update(donor_kind="person", donor_name=name, show_name=agreed)
        key = uuid.uuid4().hex
        gift = donate(treasurer, fund["id"], body, key)
        if retried is None:  # a lost answer, sent again: booked once, the same answer
            assert donate(treasurer, fund["id"], body, key) == gift
            retried = gift
    for description, quantity, fen, donor in IN_KIND:
        treasurer.created(
            f"/funds/{fund['id']}/in-kind",
            {
                "description": description,
                "quantity": quantity,
                "valuation_fen": fen,
                "donor_kind": "member_org",
                "donor_name": donor,
                "show_name": True,
            },
        )

    # the 12 projects assessed, approved with their budgets, and funded
    for n, project in enumerate(projects):
        path = f"/projects/{project['id']}"
        ok(chair.post(f"{path}/assess", {"note": "入户调研，群众需求迫切"}))
        ok(chair.post(f"{path}/approve", {"budget_fen": budget(n)}))
        funded = ok(treasurer.post(f"{path}/fund"))
        assert (funded["status"], funded["funded_fen"]) == ("funded", budget(n))
        assert funded["earmarked_fen"] == LEFT_EARMARKED.get(n, 0)
    listed = ok(chair.get(f"/projects?community_id={community}"))["items"]
    assert [p["title"] for p in listed] == [title for title, _ in PROJECTS]

    response = suite.anonymous().get(f"/funds/{fund['id']}/report")
    report = ok(response)
    assert report["income_by_channel"] == {
        "directed": 300_000_000,
        "caring": 1_200_000,
        "leading": 800_000,
        "public_welfare": 600_000,
        "mutual_aid": 1_000_000,
    }
    assert report["income_total_fen"] == 303_600_000
    assert report["in_kind_total_fen"] == 3_900_000
    assert [(g["description"], g["quantity"], g["valuation_fen"]) for g in report["in_kind"]] == [
        (description, quantity, fen) for description, quantity, fen, _ in IN_KIND
    ]
    assert report["spending_total_fen"] == 0
    assert report["available_fen"] == 3_600_000 - 600_000
    assert report["earmarked_fen"] == 500_000
    assert report["allocated_fen"] == 300_000_000 + 600_000 - 500_000
    assert [
        (p["title"], p["status"], p["budget_fen"], p["funded_fen"], p["beneficiaries"])
        for p in report["projects"]
    ] == [
        (title, "funded", budget(n), budget(n), beneficiaries)
        for n, (title, beneficiaries) in enumerate(PROJECTS)
    ]
    expected_donors = Counter(
        [(org, "directed", fen) for _, org, fen in DIRECTED]
        + [(as_shown(name, agreed), channel, fen) for channel, name, agreed, fen in OTHERS]
    )
    assert Counter((d["name"], d["channel"], d["amount_fen"]) for d in report["donors"]) == (
        expected_donors
    )
    for name in MASKED:  # a donor who did not agree is never named
        assert name not in response.text

    ledger = suite.anonymous().get(f"/funds/{fund['id']}/ledger.csv")
    assert ledger.status_code == 200, ledger.text
    assert ledger.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(ledger.text)))
    by_transaction = defaultdict(int)
    by_account = defaultdict(int)
    for row in rows:
        fen = int(row["amount_fen"])
        assert (
            row["amount_yuan"] == f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"
        )
        by_transaction[row["transaction_id"]] += fen
        by_account[row["account"]] += fen
    # every gift once (the retry was not booked again) and every allocation
    assert len(by_transaction) == len(DIRECTED) + len(OTHERS) + len(PROJECTS)
    assert set(by_transaction.values()) == {0}
    assert sum(v for a, v in by_account.items() if a == "available") == report["available_fen"]
    assert (
        sum(v for a, v in by_account.items() if a.startswith("earmarked:"))
        == report["earmarked_fen"]
    )
    assert (
        sum(v for a, v in by_account.items() if a.startswith("project:")) == report["allocated_fen"]
    )
    assert {
        a.removeprefix("income:"): -v for a, v in by_account.items() if a.startswith("income:")
    } == report["income_by_channel"]
    for name in MASKED:
        assert name not in ledger.text
