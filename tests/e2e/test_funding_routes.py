"""The 共建实践金 routes through the gateway: who may call them, what they answer, and
the public ones without a token. The fund's own rules are tested beside the service."""

import uuid

from api_client import build_community, next_phone

DONATION = {"channel": "caring", "amount_fen": 3_600_000, "donor_name": "海威超市"}


def person(suite, admin, household_id, name):
    phone = next_phone()
    made = admin.created(
        "/people",
        {"name": name, "phone": phone, "password": suite.password, "household_id": household_id},
    )
    return made["id"], suite.anonymous().login(phone, suite.password)


def community_with_staff(suite):
    """A community with its admin, its treasurer and a resident, each logged in."""
    ids = build_community(suite, grids=1)
    admin = suite.admin()
    home = ids["households"][0][0]
    people = {}
    for name, role in (("社区书记", "community_admin"), ("出纳", "treasurer"), ("居民", None)):
        person_id, api = person(suite, admin, home, name)
        if role:
            granted = admin.post(
                f"/communities/{ids['community']}/admins", {"person_id": person_id, "role": role}
            )
            assert granted.status_code == 201, granted.text
        people[role or "resident"] = api
    return ids, people


def test_a_community_admin_opens_a_fund_and_a_resident_may_not(suite):
    ids, people = community_with_staff(suite)
    fund = {"name": "海威共建实践金", "community_id": ids["community"]}

    created = people["community_admin"].post("/funds", fund)
    assert created.status_code == 201, created.text
    assert created.json()["available_fen"] == 0
    refused = people["resident"].post("/funds", {**fund, "name": "我的基金"})
    assert refused.status_code == 403
    assert refused.json()["error"] == "forbidden"

    listed = people["treasurer"].get(f"/funds?community_id={ids['community']}")
    assert [f["id"] for f in listed.json()] == [created.json()["id"]]
    got = people["treasurer"].get(f"/funds/{created.json()['id']}")
    assert got.status_code == 200 and got.json()["name"] == "海威共建实践金"


def test_a_donation_sent_twice_with_one_idempotency_key_is_recorded_once(suite):
    ids, people = community_with_staff(suite)
    fund = people["community_admin"].created(
        "/funds", {"name": "共建实践金", "community_id": ids["community"]}
    )
    treasurer = people["treasurer"]
    path = f"/funds/{fund['id']}/donations"
    key = {"Idempotency-Key": str(uuid.uuid4())}

    first = treasurer.post(path, DONATION, headers=key)
    again = treasurer.post(path, DONATION, headers=key)
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["amount_fen"] == 3_600_000
    other_body = treasurer.post(path, {**DONATION, "amount_fen": 100}, headers=key)
    assert other_body.status_code == 409
    assert "Idempotency-Key" in other_body.json()["fields"]
    assert treasurer.post(path, DONATION, headers={"Idempotency-Key": "k" * 201}).status_code == 400

    without_key = treasurer.post(path, DONATION)
    assert without_key.status_code == 201
    assert without_key.json()["id"] != first.json()["id"]
    donations = treasurer.get(path).json()["items"]
    assert sorted(d["id"] for d in donations) == sorted(
        [first.json()["id"], without_key.json()["id"]]
    )
    assert treasurer.get(f"/funds/{fund['id']}").json()["available_fen"] == 7_200_000
    assert people["resident"].post(path, DONATION).status_code == 403
    assert people["resident"].get(path).status_code == 403


def test_the_report_and_the_ledger_need_no_token(suite):
    ids, people = community_with_staff(suite)
    fund = people["community_admin"].created(
        "/funds", {"name": "共建实践金", "community_id": ids["community"]}
    )
    donation = people["treasurer"].created(f"/funds/{fund['id']}/donations", DONATION)
    gift = people["treasurer"].created(
        f"/funds/{fund['id']}/in-kind",
        {"description": "交通锥", "quantity": 300, "valuation_fen": 300_000, "donor_name": "物业"},
    )
    assert gift["valuation_fen"] == 300_000
    public = suite.anonymous()

    report = public.get(f"/funds/{fund['id']}/report")
    assert report.status_code == 200, report.text
    assert report.json()["income_by_channel"]["caring"] == 3_600_000
    assert report.json()["in_kind_total_fen"] == 300_000

    ledger = public.get(f"/funds/{fund['id']}/ledger")
    assert ledger.status_code == 200, ledger.text
    assert [t["id"] for t in ledger.json()["items"]] == [donation["transaction_id"]]

    csv = public.get(f"/funds/{fund['id']}/ledger.csv")
    assert csv.status_code == 200, csv.text
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="fund-{fund["id"]}-ledger.csv"' in csv.headers["Content-Disposition"]
    rows = csv.text.splitlines()
    assert rows[0].startswith("posted_at,transaction_id,kind")
    assert len(rows) == 1 + 2  # the donation's two entries
    assert donation["transaction_id"] in rows[1]

    reversal = people["treasurer"].post(
        f"/funds/{fund['id']}/transactions/{donation['transaction_id']}/reversal",
        {"reason": "录入错误"},
    )
    assert reversal.status_code == 201, reversal.text
    assert reversal.json()["reverses"] == donation["transaction_id"]
    assert len(public.get(f"/funds/{fund['id']}/ledger").json()["items"]) == 2


def test_bad_input_is_400_with_fields_and_unknown_ids_are_404(suite):
    ids, people = community_with_staff(suite)
    treasurer = people["treasurer"]
    fund = people["community_admin"].created(
        "/funds", {"name": "共建实践金", "community_id": ids["community"]}
    )

    bad = treasurer.post(
        f"/funds/{fund['id']}/donations", {"channel": "lottery", "amount_fen": 1.5}
    )
    assert bad.status_code == 400
    assert {"channel", "amount_fen"} <= set(bad.json()["fields"])
    directed = treasurer.post(
        f"/funds/{fund['id']}/donations", {"channel": "directed", "amount_fen": 100}
    )
    assert directed.status_code == 400 and "project_id" in directed.json()["fields"]
    assert set(treasurer.post("/funds", {"name": ""}).json()["fields"]) >= {"name"}
    no_community = treasurer.get("/funds")
    assert no_community.status_code == 400 and "community_id" in no_community.json()["fields"]
    not_json = treasurer.request(
        "POST", "/grants", data=b"{", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    assert treasurer.get("/projects?community_id=x&status=dreaming").status_code == 400

    nowhere = str(uuid.uuid4())
    assert treasurer.get(f"/funds/{nowhere}").status_code == 404
    assert treasurer.post(f"/funds/{nowhere}/donations", DONATION).status_code == 404
    assert suite.anonymous().get(f"/funds/{nowhere}/report").status_code == 404
    assert suite.anonymous().get(f"/funds/{nowhere}/ledger.csv").status_code == 404
    assert treasurer.get(f"/grants/{nowhere}").status_code == 404
    assert treasurer.post(f"/projects/{nowhere}/start").status_code == 404
    unknown_transaction = treasurer.post(
        f"/funds/{fund['id']}/transactions/{nowhere}/reversal", {"reason": "?"}
    )
    assert unknown_transaction.status_code == 404


def test_grants_and_projects_walk_their_routes(suite):
    ids, people = community_with_staff(suite)
    admin, treasurer = people["community_admin"], people["treasurer"]
    community = ids["community"]
    fund = admin.created("/funds", {"name": "共建实践金", "community_id": community})
    treasurer.created(f"/funds/{fund['id']}/donations", DONATION)

    grant = admin.created(
        "/grants",
        {
            "fund_id": fund["id"],
            "purpose": "student_award",
            "beneficiary_name": "小明",
            "amount_fen": 100_000,
            "reason": "考上大学",
        },
    )
    at = f"/grants/{grant['id']}"
    assert treasurer.post(f"{at}/pay").status_code == 409  # no approvals yet
    assert admin.post(f"{at}/approve", {"comment": "同意"}).status_code == 200
    assert admin.post(f"{at}/approve", {}).status_code == 409  # the second is somebody else's
    assert treasurer.post(f"{at}/approve", {}).json()["status"] == "approved"
    paid = treasurer.post(f"{at}/pay")
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    paid_grants = admin.get(f"/grants?fund_id={fund['id']}&status=paid").json()["items"]
    assert [g["id"] for g in paid_grants] == [grant["id"]]
    assert admin.get(at).json()["transaction_id"] == paid.json()["transaction_id"]
    other = admin.created(
        "/grants",
        {
            "fund_id": fund["id"],
            "purpose": "elderly_support",
            "beneficiary_name": "张奶奶",
            "amount_fen": 50_000,
            "reason": "独居老人",
        },
    )
    assert admin.post(f"/grants/{other['id']}/reject", {}).json()["status"] == "rejected"

    project = admin.created(
        "/projects",
        {"community_id": community, "title": "北门步道铺装", "estimated_cost_fen": 800_000},
    )
    at = f"/projects/{project['id']}"
    steps = [
        (admin, "assess", {"note": "走访30户，均同意"}, 200, "assessed"),
        (admin, "approve", {"budget_fen": 800_000, "fund_id": fund["id"]}, 200, "approved"),
        (treasurer, "fund", None, 200, "funded"),
        (
            admin,
            "claims",
            {
                "claimant_kind": "member_org",
                "claimant_name": "包钢集团",
                "part": "铺装材料",
                "form": "goods",
            },
            201,
            "claimed",
        ),
        (admin, "start", None, 200, "in_progress"),
        (
            treasurer,
            "complete",
            {"beneficiaries": 2000, "actual_spend_fen": 750_000},
            200,
            "completed",
        ),
    ]
    for api, step, body, status, becomes in steps:
        answer = api.post(f"{at}/{step}", body)
        assert answer.status_code == status, (step, answer.text)
        assert answer.json()["status"] == becomes
    assert admin.post(f"{at}/start").status_code == 409
    assert admin.get(at).json()["spent_fen"] == 750_000
    listed = admin.get(f"/projects?community_id={community}&status=completed").json()["items"]
    assert [p["id"] for p in listed] == [project["id"]]


def test_the_openapi_document_has_the_fund_routes_and_the_idempotency_header(suite):
    paths = suite.anonymous().get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/funds",
        "/api/v1/funds/{fund_id}/donations",
        "/api/v1/funds/{fund_id}/ledger",
        "/api/v1/funds/{fund_id}/ledger.csv",
        "/api/v1/funds/{fund_id}/report",
        "/api/v1/grants/{grant_id}/pay",
        "/api/v1/projects/{project_id}/complete",
    ):
        assert path in paths, path
    donate = paths["/api/v1/funds/{fund_id}/donations"]["post"]
    header = [p for p in donate["parameters"] if p["in"] == "header"]
    assert [(p["name"], p["required"]) for p in header] == [("Idempotency-Key", False)]
    assert "409" in donate["responses"]
    assert "security" not in paths["/api/v1/funds/{fund_id}/report"]["get"]
