"""A resident on a phone: submit an appeal, follow it, rate it, see its handler's stars grow."""

import re
import uuid

from conftest import ADMIN, GRID_WORKER, PHONE, RESIDENT
from test_office import STATUS

# what only staff may do; none of it is ever offered on a resident's screen
STAFF_ACTIONS = [
    "派单",
    "确认派单",
    "驳回",
    "上报升级",
    "发起表决",
    "批准延期",
    "组成项目",
    "办结",
    "接单",
]


def assert_no_staff_actions(page):
    buttons = page.eval_on_selector_all(
        "button, a", "nodes => nodes.map(n => n.textContent.trim()).filter(Boolean)"
    )
    offered = [text for text in buttons if any(text.startswith(a) for a in STAFF_ACTIONS)]
    assert offered == [], offered
    assert page.locator("[data-test=staff-actions]").count() == 0


def board_stars(api_client, community_id, person_id):
    board = api_client.get(f"/leaderboards?community_id={community_id}&period=all&limit=100").json()
    return next((x["stars"] for x in board["leaders"] if x["owner_id"] == person_id), 0)


def handler_stars(page):
    text = page.locator("[data-test=handler-stars]").inner_text()
    return int(re.search(r"\d+", text).group())


def test_a_resident_submits_follows_and_rates_an_appeal_on_a_phone(screen, api):
    phone = screen(viewport=PHONE, mobile=True, name="resident")
    page = phone.page
    title = f"单元门禁坏了 {uuid.uuid4().hex[:6]}"

    phone.login("/h5/login", RESIDENT)
    page.wait_for_url("**/h5/appeals")
    page.locator("[data-test=my-appeals]").wait_for()
    assert_no_staff_actions(page)
    assert page.viewport_size == PHONE
    # the page fits the phone: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    page.click("[data-test=tab-new]")
    page.wait_for_url("**/h5/appeals/new")
    page.click("[data-test=category]")
    page.locator(".el-select-dropdown__item:visible", has_text="基础设施").click()
    page.fill("input[data-test=title]", title)
    page.fill("textarea[data-test=description]", "1单元门禁刷卡没反应，老人进出不便")
    page.fill("input[data-test=photo]", "https://example.org/photos/door.jpg")
    phone.shot("new-appeal")
    page.click("[data-test=submit-appeal]")
    page.wait_for_url(re.compile(r".*/h5/appeals/[0-9a-f-]{36}$"))
    appeal_id = page.url.rsplit("/", 1)[1]
    status = api(RESIDENT).get(f"/appeals/{appeal_id}").json()["status"]
    shown = STATUS[status]  # submitted, or dispatched to the grid's worker at once
    assert page.locator("[data-test=status]").inner_text() == shown
    assert_no_staff_actions(page)

    page.click("[data-test=tab-appeals]")
    mine = page.locator("[data-test=my-appeal]", has_text=title)
    mine.wait_for()
    assert shown in mine.inner_text()
    phone.shot("my-appeals")

    # staff take it on and resolve it, as the grid's worker would on their own app
    admin, worker, resident = api(ADMIN), api(GRID_WORKER), api(RESIDENT)
    worker_id = worker.get("/me").json()["person"]["id"]
    body = {"assignee_id": worker_id}
    assert admin.post(f"/appeals/{appeal_id}/dispatch", body).status_code == 200
    assert worker.post(f"/appeals/{appeal_id}/claim").status_code == 200
    done = worker.post(f"/appeals/{appeal_id}/resolve", {"resolution": "已更换门禁读卡器"})
    assert done.status_code == 200
    community_id = worker.get("/me").json()["grid"]["community_id"]
    balance_before = admin.get(f"/stars/{worker_id}").json()["balance"]

    page.reload()
    mine = page.locator("[data-test=my-appeal]", has_text=title)
    mine.wait_for()
    assert "已办结" in mine.inner_text()
    mine.click()
    page.locator("[data-test=rate-panel]").wait_for()
    page.locator("[data-test=handler-stars]").wait_for()
    shown_before = handler_stars(page)
    assert shown_before == board_stars(admin, community_id, worker_id)
    timeline = resident.get(f"/appeals/{appeal_id}").json()["timeline"]
    assert page.locator("[data-test=timeline-step]").count() == len(timeline)
    assert timeline[-1]["action"] == "resolve"
    phone.shot("resolved")
    assert_no_staff_actions(page)

    page.locator("[data-test=rate] .el-rate__item").nth(4).click()
    page.click("[data-test=submit-rating]")
    page.locator("[data-test=status]", has_text="已评价").wait_for()

    # the handler's stars arrive by event (appeals.appeal_closed → volunteer)
    for _ in range(40):
        page.locator("[data-test=handler] button").click()
        page.wait_for_timeout(500)
        if handler_stars(page) > shown_before:
            break
    assert handler_stars(page) > shown_before
    assert handler_stars(page) == board_stars(admin, community_id, worker_id)
    assert admin.get(f"/stars/{worker_id}").json()["balance"] > balance_before
    phone.shot("rated")

    page.click("[data-test=tab-stars]")
    page.locator("[data-test=reward]").first.wait_for()
    assert_no_staff_actions(page)
    phone.shot("stars")
    assert phone.errors == []


def test_a_resident_reaching_for_the_office_lands_on_their_own_page(screen):
    phone = screen(viewport=PHONE, mobile=True, name="resident-office")
    page = phone.page
    phone.login("/h5/login", RESIDENT)
    page.wait_for_url("**/h5/appeals")
    phone.open("/office/appeals")
    page.wait_for_url("**/h5/appeals")
    assert_no_staff_actions(page)


def test_a_resident_votes_and_spends_red_stars_on_a_phone(screen, api):
    admin, resident = api(ADMIN), api(RESIDENT)
    me = resident.get("/me").json()
    appeal = resident.created(
        "/appeals",
        {
            "category": "parking",
            "title": "楼下停车位不够",
            "description": "晚上车位紧张",
            "household_id": me["household"]["id"],
        },
    )
    question = f"是否把楼前绿地改建为停车位？{appeal['number']}"
    admin.created(
        f"/appeals/{appeal['id']}/deliberations",
        {
            "question": question,
            "options": ["同意改建", "保留绿地"],
            "scope": "building",
            "scope_id": me["household"]["building"]["id"],
            "closes_at": "2099-01-01T00:00:00+00:00",
        },
    )
    award = {"person_id": me["person"]["id"], "stars": 30, "reason": "楼道清扫志愿服务"}
    balance = admin.post("/stars/awards", award).json()["balance"]

    phone = screen(viewport=PHONE, mobile=True, name="resident-vote-stars")
    page = phone.page
    phone.login("/h5/login", RESIDENT)
    vote = page.locator("[data-test=open-vote]", has_text=question)
    vote.wait_for()
    assert "未投票" in vote.inner_text()
    vote.click()
    page.get_by_text("同意改建").click()
    page.get_by_role("button", name="投票").click()
    page.get_by_text("您已投票：同意改建").wait_for()
    assert_no_staff_actions(page)
    phone.shot("voted")

    page.click("[data-test=tab-stars]")
    page.locator("[data-test=balance]", has_text=str(balance)).wait_for()
    reward = page.locator("[data-test=reward]").first
    price = int(re.search(r"(\d+) 颗红星", reward.inner_text()).group(1))
    reward.get_by_role("button", name="兑换").click()
    page.locator(".el-message-box").get_by_role("button", name="兑换").click()
    page.locator("[data-test=balance]", has_text=str(balance - price)).wait_for()
    page.locator("[data-test=voucher]").first.wait_for()
    assert_no_staff_actions(page)
    phone.shot("redeemed")

    vouchers = resident.get("/vouchers").json()["items"]
    assert vouchers[0]["status"] == "issued" and vouchers[0]["price_stars"] == price
    assert resident.get(f"/stars/{me['person']['id']}").json()["balance"] == balance - price
    assert phone.errors == []
