"""The appeals board's other actions, each through its dialog: escalate, reject, open a vote,
group appeals into a project."""

import time
import uuid

from conftest import ADMIN, GRID_WORKER, RESIDENT


def new_appeal(resident, home, title):
    return resident.created(
        "/appeals",
        {"category": "daily", "title": title, "description": "现场查看", "household_id": home},
    )


def open_on_board(page, appeal):
    row = page.locator("[data-test=appeal-table] .el-table__row", has_text=appeal["number"])
    row.wait_for()
    return row


def test_escalate_reject_vote_and_group_into_a_project_from_the_board(screen, api):
    resident, admin = api(RESIDENT), api(ADMIN)
    home = resident.get("/me").json()["household"]["id"]
    tag = uuid.uuid4().hex[:6]
    escalated, rejected, voted, first, second = (
        new_appeal(resident, home, f"{what} {tag}")
        for what in ("井盖松动", "重复提交", "加装电梯", "路灯不亮", "路面坑洼")
    )
    office = screen(name="office-board-actions")
    page = office.page
    office.login("/login", ADMIN)
    page.wait_for_url("**/office/dashboard")
    office.open("/office/appeals")
    drawer = page.locator(".el-drawer")

    def act(appeal, button, reason):
        open_on_board(page, appeal).click()
        drawer.locator(f"[data-test={button}]").click()
        page.fill("textarea[data-test=reason]", reason)
        page.click("[data-test=confirm-reason]")
        page.locator(".el-message--success").last.wait_for()
        drawer.locator(".el-drawer__close-btn").click()

    act(escalated, "escalate", "涉及燃气管线，需社区协调")
    act(rejected, "reject", "与 2026 年已有诉求重复")

    open_on_board(page, voted).click()
    drawer.locator("[data-test=open-vote]").click()
    page.locator(".el-dialog", has_text="发起表决").get_by_role("button", name="发起").click()
    page.get_by_text("已发起表决").wait_for()
    drawer.locator(".el-drawer__close-btn").click()

    for appeal in (first, second):
        open_on_board(page, appeal).locator(".el-checkbox").click()
    page.get_by_role("button", name="组成项目（2）").click()
    dialog = page.locator(".el-dialog", has_text="组成定向投项目")
    dialog.locator("input").first.fill(f"道路照明改造 {tag}")
    dialog.get_by_role("button", name="提交").click()
    page.get_by_text("已提交项目提案").wait_for()
    office.shot("after")
    assert office.errors == []

    assert resident.get(f"/appeals/{escalated['id']}").json()["level"] == "community"
    assert resident.get(f"/appeals/{rejected['id']}").json()["status"] == "rejected"
    votes = resident.get("/deliberations?status=open&limit=100").json()["items"]
    assert voted["id"] in [v["appeal_id"] for v in votes]
    community = admin.get("/me").json()["communities"][0]["id"]
    # funding creates the proposed project from appeals.project_proposed
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        projects = admin.get(f"/projects?community_id={community}&limit=100").json()["items"]
        made = [p for p in projects if p["title"] == f"道路照明改造 {tag}"]
        if made:
            break
        time.sleep(0.5)
    assert made and made[0]["status"] == "proposed"


def test_an_anonymous_appeal_is_placed_voted_on_and_dispatched_by_its_building(screen, api):
    resident, admin = api(RESIDENT), api(ADMIN)
    home = resident.get("/me").json()["household"]
    appeal = resident.created(
        "/appeals",
        {
            "category": "dispute",
            "title": f"楼上噪音扰民 {uuid.uuid4().hex[:6]}",
            "description": "夜里十二点后仍有装修声",
            "household_id": home["id"],
            "anonymous": True,
        },
    )
    seen = admin.get(f"/appeals/{appeal['id']}").json()
    assert (seen["household_id"], seen["building_id"]) == (None, home["building"]["id"])
    leader = next(
        s for s in api(GRID_WORKER).get("/me").json()["grid_staff"] if s["role"] == "grid_leader"
    )

    office = screen(name="office-anonymous-appeal")
    page = office.page
    office.login("/login", ADMIN)
    page.wait_for_url("**/office/dashboard")
    office.open("/office/appeals")
    open_on_board(page, appeal).click()
    drawer = page.locator(".el-drawer", has_text=appeal["number"])
    place = drawer.locator("[data-test=appeal-place]")
    building = f"{home['estate']['name']} / {home['building']['name']}"
    page.wait_for_function(
        "text => document.querySelector('.el-drawer [data-test=appeal-place]')"
        ".textContent.includes(text)",
        arg=building,
    )
    assert place.inner_text() == f"{building}（匿名诉求，只显示到楼栋）"

    # the grid's staff are offered without the household
    drawer.locator("[data-test=dispatch]").click()
    dialog = page.locator(".el-dialog", has_text="网格派单")
    dialog.locator("[data-test=assignee]").click()
    page.locator(".el-select-dropdown__item:visible", has_text=leader["name"]).first.click()
    dialog.get_by_role("button", name="取消").click()
    dialog.wait_for(state="hidden")

    # a vote on it is held in its building
    drawer.locator("[data-test=open-vote]").click()
    page.locator(".el-dialog", has_text="发起表决").get_by_role("button", name="发起").click()
    page.get_by_text("已发起表决").wait_for()
    office.shot("anonymous")
    assert office.errors == []
    votes = resident.get("/deliberations?status=open&limit=100").json()["items"]
    vote = next(v for v in votes if v["appeal_id"] == appeal["id"])
    assert (vote["scope"], vote["scope_id"]) == ("building", home["building"]["id"])
