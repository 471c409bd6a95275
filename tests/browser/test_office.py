"""The community office in the browser: log in, read the dashboard, dispatch an appeal."""

import re
import uuid

from conftest import ADMIN, GRID_WORKER, RESIDENT

STATUS = {
    "submitted": "待派单",
    "dispatched": "已派单",
    "claimed": "办理中",
    "resolved": "已办结",
    "closed": "已评价",
    "rejected": "已驳回",
    "withdrawn": "已撤回",
}
CATEGORY = {
    "legacy": "遗留问题",
    "infrastructure": "基础设施",
    "daily": "日常发现",
    "dispute": "矛盾纠纷",
    "sanitation": "环境卫生",
    "safety": "安全隐患",
    "greening_lighting": "绿化照明",
    "parking": "停车管理",
    "assistance": "困难帮扶",
    "property_service": "物业服务",
    "other": "其他",
}


def chart_rows(page, name):
    """The rows of the data table behind a chart: [[label, value, ...], ...]."""
    return page.eval_on_selector_all(
        f"table[data-chart-table={name}] tr",
        "rows => rows.map(r => [...r.children].map(c => c.textContent.trim()))",
    )


def painted(page, name):
    """How many pixels of the chart's canvas are painted: a drawn chart has thousands."""
    return page.eval_on_selector(
        f"[data-chart={name}] canvas",
        """canvas => {
            const { width, height } = canvas
            const data = canvas.getContext('2d').getImageData(0, 0, width, height).data
            let painted = 0
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++
            return painted
        }""",
    )


def test_the_dashboard_shows_the_demo_community_in_charts(screen, api):
    admin = api(ADMIN)
    community = admin.get("/me").json()["communities"][0]
    board = admin.get(f"/communities/{community['id']}/dashboard").json()
    office = screen(name="office-dashboard")
    page = office.page

    office.login("/login", ADMIN)
    page.wait_for_url("**/office/dashboard")
    for chart in ("status", "category", "satisfaction", "grids", "income", "spending"):
        page.wait_for_selector(f"[data-chart={chart}] canvas")
    for chart in ("leaderboard", "coverage"):
        page.wait_for_selector(f"[data-chart={chart}] canvas")

    appeals = board["appeals"]
    shown_status = {label: int(n) for label, n in chart_rows(page, "status")}
    assert shown_status == {STATUS[s]: n for s, n in appeals["by_status"].items() if n}
    shown_category = {label: int(n) for label, n in chart_rows(page, "category")}
    assert shown_category == {CATEGORY[c]: n for c, n in appeals["by_category"].items() if n}
    assert sum(shown_status.values()) == appeals["total"]
    kpi = page.inner_text("[data-kpi=appeals_total] [data-test=kpi-value]")
    assert kpi == str(appeals["total"])
    households = page.inner_text("[data-kpi=households] [data-test=kpi-value]")
    assert households == str(board["coverage"]["households"])
    rated = [m for m in appeals["satisfaction_by_month"] if m["rated"]]
    assert [row[0] for row in chart_rows(page, "satisfaction")] == [m["month"] for m in rated]
    leaders = admin.get(f"/leaderboards?community_id={community['id']}&period=all&limit=10")
    shown_leaders = [(name, int(stars)) for name, stars in chart_rows(page, "leaderboard")]
    assert shown_leaders == [(x["name"], x["stars"]) for x in leaders.json()["leaders"]]
    coverage = dict((row[0], row[2]) for row in chart_rows(page, "coverage"))
    c = board["coverage"]
    assert coverage["网格配专职网格员"] == f"{c['grids_with_worker']}/{c['grids']}"
    # the charts are drawn, not just laid out
    for chart in ("status", "category", "income", "leaderboard", "coverage"):
        assert painted(page, chart) > 2000, chart
    office.shot("dashboard")
    assert office.errors == []


def test_dispatching_from_the_board_grows_the_appeals_timeline(screen, api):
    resident = api(RESIDENT)
    home = resident.get("/me").json()["household"]["id"]
    title = f"楼道灯不亮 {uuid.uuid4().hex[:6]}"
    appeal = resident.created(
        "/appeals",
        {
            "category": "infrastructure",
            "title": title,
            "description": "三楼楼道灯坏了一周",
            "household_id": home,
        },
    )
    # a new appeal goes to its grid's queue, dispatched to the grid's worker; the office
    # sends it on to the grid's leader instead
    staff = api(GRID_WORKER).get("/me").json()["grid_staff"]
    leader = next(s for s in staff if s["role"] == "grid_leader")
    before = resident.get(f"/appeals/{appeal['id']}").json()["timeline"]
    office = screen(name="office-appeals")
    page = office.page

    office.login("/login", ADMIN)
    page.wait_for_url("**/office/dashboard")
    office.open("/office/appeals")
    row = page.locator("[data-test=appeal-table] .el-table__row", has_text=appeal["number"])
    row.wait_for()
    row.click()
    drawer = page.locator(".el-drawer", has_text=appeal["number"])
    steps = drawer.locator("[data-test=timeline-step]")
    steps.first.wait_for()
    assert steps.count() == len(before)
    office.shot("appeal-before-dispatch")

    drawer.locator("[data-test=dispatch]").click()
    dialog = page.locator(".el-dialog", has_text="网格派单")
    dialog.locator("[data-test=assignee]").click()
    page.locator(".el-select-dropdown__item:visible", has_text=leader["name"]).first.click()
    dialog.locator("[data-test=confirm-dispatch]").click()

    page.wait_for_function(
        "n => document.querySelectorAll('.el-drawer [data-test=timeline-step]').length === n",
        arg=len(before) + 1,
    )
    assert drawer.locator("[data-test=detail-status]").inner_text() == "已派单"
    assert "网格派单" in steps.nth(len(before)).inner_text()
    assert leader["name"] in drawer.inner_text()
    office.shot("appeal-dispatched")

    stored = resident.get(f"/appeals/{appeal['id']}").json()
    assert stored["status"] == "dispatched"
    assert stored["assignee"] == {"kind": "person", "id": leader["person_id"]}
    assert [s["action"] for s in stored["timeline"]] == [s["action"] for s in before] + ["dispatch"]
    assert office.errors == []


def test_a_resident_is_kept_out_of_the_office(screen):
    office = screen(name="office-resident")
    page = office.page
    office.login("/login", RESIDENT)
    page.locator("text=办公台不对您开放").wait_for()
    office.shot("refused")
    office.open("/office/appeals")
    page.wait_for_url(re.compile(r".*/login.*"))
    assert page.locator("[data-test=appeal-table]").count() == 0
