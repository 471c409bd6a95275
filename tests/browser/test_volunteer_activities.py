"""Volunteer activities in the office: the limits a team plans within, times recorded
within an activity's hours and counted once, and a large completion's stars waiting for a
second community admin."""

import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from conftest import ADMIN, GRID_WORKER, PASSWORD, RESIDENT, TREASURER

VOLUNTEERS = (RESIDENT, TREASURER, GRID_WORKER)
ENGLISH = re.compile(r"[A-Za-z]{4,}")


def new_person(admin, name, **extra):
    """Somebody new, with the demo password: (phone, person)."""
    phone = f"139{secrets.randbelow(10**8):08d}"
    person = admin.created("/people", {"name": name, "phone": phone, "password": PASSWORD, **extra})
    return phone, person


def second_admin(admin, community):
    """A community admin of the demo community other than the demo admin: (phone, id)."""
    phone, person = new_person(admin, "钱主任")
    granted = admin.post(
        f"/communities/{community}/admins",
        {"person_id": person["id"], "role": "community_admin"},
    )
    assert granted.status_code in (200, 201), granted.text
    return phone, person["id"]


def new_activity(admin, community, title, starts, ends, stars_per_hour=10):
    team = admin.get(f"/teams?community_id={community}").json()[0]
    return admin.created(
        "/activities",
        {
            "team_id": team["id"],
            "title": f"{title} {uuid.uuid4().hex[:6]}",
            "place": "海威社区北门",
            "starts_at": starts.isoformat(),
            "ends_at": ends.isoformat(),
            "capacity": 10,
            "stars_per_hour": stars_per_hour,
        },
    )


def twelve_hours_served(api, admin, community):
    """A 12-hour activity at 10 stars an hour, just over, that three volunteers served
    whole: 360 stars due, above the 300 a completion pays without approval."""
    ends = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    starts = ends - timedelta(hours=12)
    activity = new_activity(admin, community, "通宵防汛值守", starts, ends)
    for phone in VOLUNTEERS:
        volunteer = api(phone)
        assert volunteer.post(f"/activities/{activity['id']}/signups").status_code == 201
        person = volunteer.get("/me").json()["person"]["id"]
        for step, at in (("check-in", starts), ("check-out", ends)):
            recorded = admin.post(
                f"/activities/{activity['id']}/{step}", {"person_id": person, "at": at.isoformat()}
            )
            assert recorded.status_code == 200, recorded.text
    return activity


def open_activity(office, phone, activity):
    page = office.page
    office.login("/login", phone)
    page.wait_for_url("**/office/dashboard")
    office.open("/office/volunteers")
    page.click("#tab-activities")
    row = page.locator("[data-test=activity-table] .el-table__row", has_text=activity["title"])
    row.click()
    drawer = page.locator(".el-drawer", has_text=activity["title"])
    drawer.locator("[data-test=signup-table] .el-table__row").first.wait_for()
    return page, row, drawer


def paid(api, activity):
    """The stars each volunteer was paid for the activity, as they read their own
    (other tests' stars may arrive meanwhile: only the activity's entries count)."""
    found = {}
    for phone in VOLUNTEERS:
        volunteer = api(phone)
        person = volunteer.get("/me").json()["person"]["id"]
        entries = volunteer.get(f"/stars/{person}?limit=100").json()["entries"]
        found[phone] = sum(
            e["amount"] for e in entries if e["source"] == f"activity:{activity['id']}"
        )
    return found


def test_a_large_completion_waits_for_a_second_community_admin(screen, api):
    admin = api(ADMIN)
    community = admin.get("/me").json()["communities"][0]["id"]
    activity = twelve_hours_served(api, admin, community)
    phone, _ = second_admin(admin, community)

    # the demo admin completes it: 360 stars are due, and none is paid yet
    office = screen(name="activity-completed")
    page, row, drawer = open_activity(office, ADMIN, activity)
    drawer.locator("[data-test=complete-activity]").click()
    page.locator(".el-message-box").get_by_role("button", name="确定结束并发放").click()
    result = drawer.locator("[data-test=completion-result]")
    result.wait_for()
    assert "应发 360 颗红星" in result.inner_text()
    assert "另一名社区管理员审批" in result.inner_text()
    assert drawer.locator("[data-test=activity-detail-status]").inner_text() == "待审批"
    assert row.locator("[data-test=activity-status]").inner_text() == "待审批"
    # its completer, a community admin, is not offered the approval
    drawer.locator("[data-test=approval-not-mine]").wait_for()
    assert drawer.locator("[data-test=approve-activity]").count() == 0
    assert drawer.locator("[data-test=reject-activity]").count() == 0
    office.shot("awaiting")
    assert office.errors == []
    assert paid(api, activity) == dict.fromkeys(VOLUNTEERS, 0)
    stored = admin.get(f"/activities/{activity['id']}").json()
    assert (stored["status"], stored["stars_due"]) == ("awaiting_approval", 360)

    # the team's leader, no admin, sees it wait and is not offered the approval either
    leader = screen(name="activity-leader")
    _, _, drawer = open_activity(leader, GRID_WORKER, activity)
    assert "待审批" in drawer.locator("[data-test=approval-pending]").inner_text()
    assert drawer.locator("[data-test=approve-activity]").count() == 0
    assert leader.errors == []

    # a second community admin approves it: the stars are paid, once
    second = screen(name="activity-approved")
    page, row, drawer = open_activity(second, phone, activity)
    assert "应发 360 颗红星" in drawer.locator("[data-test=approval-pending]").inner_text()
    drawer.locator("[data-test=approve-activity]").click()
    dialog = page.locator("[data-test=decision-dialog]")
    dialog.locator("textarea[data-test=decision-comment]").fill("值守记录属实")
    dialog.locator("[data-test=confirm-decision]").click()
    page.locator(".el-message--success", has_text="已审批通过").wait_for()
    result = drawer.locator("[data-test=completion-result]")
    result.wait_for()
    assert "共为 3 名志愿者发放 360 颗红星" in result.inner_text()
    assert drawer.locator("[data-test=activity-detail-status]").inner_text() == "已结束"
    assert "值守记录属实" in drawer.inner_text()
    assert drawer.locator("[data-test=approve-activity]").count() == 0
    second.shot("approved")
    assert second.errors == []

    assert paid(api, activity) == dict.fromkeys(VOLUNTEERS, 120)
    stored = admin.get(f"/activities/{activity['id']}").json()
    assert stored["status"] == "completed"
    assert stored["decision_comment"] == "值守记录属实"


def test_the_activity_form_keeps_to_the_teams_limits(screen):
    office = screen(name="activity-limits")
    page = office.page
    office.login("/login", ADMIN)
    page.wait_for_url("**/office/dashboard")
    office.open("/office/volunteers")
    page.click("#tab-activities")
    page.click("[data-test=create-activity]")
    dialog = page.locator("[data-test=activity-dialog]")
    hint = dialog.locator("[data-test=activity-range-hint]").inner_text()
    assert "最长 12 小时" in hint and "7 天" in hint
    stars = dialog.locator("[data-test=activity-stars] input")
    stars.fill("100")
    stars.blur()
    assert stars.input_value() == "10"
    assert "最多 10 颗" in dialog.inner_text()
    assert office.errors == []


def test_a_time_already_counted_in_another_activity_is_refused_in_chinese(screen, api):
    admin = api(ADMIN)
    community = admin.get("/me").json()["communities"][0]["id"]
    home = api(RESIDENT).get("/me").json()["household"]["id"]
    phone, person = new_person(admin, "孙志愿", household_id=home)
    volunteer = api(phone)
    now = datetime.now(UTC).replace(microsecond=0)
    # they served in one activity until an hour ago; another overlaps it
    served = (now - timedelta(hours=3), now - timedelta(hours=1))
    earlier = new_activity(admin, community, "垃圾分类督导", *served)
    assert volunteer.post(f"/activities/{earlier['id']}/signups").status_code == 201
    for step, at in zip(("check-in", "check-out"), served, strict=True):
        recorded = admin.post(
            f"/activities/{earlier['id']}/{step}", {"person_id": person["id"], "at": at.isoformat()}
        )
        assert recorded.status_code == 200, recorded.text
    activity = new_activity(
        admin, community, "助老送餐", now - timedelta(hours=2), now + timedelta(hours=1)
    )
    assert volunteer.post(f"/activities/{activity['id']}/signups").status_code == 201

    office = screen(name="activity-attendance")
    page, _, drawer = open_activity(office, ADMIN, activity)
    row = drawer.locator("[data-test=signup-table] .el-table__row", has_text="孙志愿")
    row.locator("[data-test=check-in]").click()
    dialog = page.locator("[data-test=attendance-dialog]")
    help_text = dialog.locator("[data-test=attendance-help]").inner_text()
    assert "活动时间之内" in help_text and "不能晚于现在" in help_text
    dialog.get_by_role("button", name="活动开始时间").click()
    dialog.locator("[data-test=confirm-attendance]").click()
    page.locator(".el-message--success", has_text="已签到").wait_for()

    row.locator("[data-test=check-out]").click()
    dialog.locator("[data-test=confirm-attendance]").click()
    toast = page.locator(".yzw-error")
    toast.wait_for()
    text = toast.inner_text()
    assert text == "这段时间已在该志愿者参加的另一项活动中计过时长，同一时间只计一次", text
    assert not ENGLISH.search(text)
    office.shot("overlap")
    assert office.errors == []
