"""Every office page for each kind of staff: it renders, and offers only what the role may do."""

import pytest
from conftest import ADMIN, GRID_WORKER, TREASURER

# page → the tabs it has (data-test of each tab) and what is there for everyone
PAGES = {
    "grid": ("网格管理", ["tree", "staff", "party"], "[data-test=place-tree]"),
    "volunteers": ("志愿服务", ["teams", "activities", "rewards"], "[data-test=team-table]"),
    "fund": ("共建实践金", ["donations", "in-kind", "grants", "projects", "ledger"], None),
}
# what each role must, and must not, be offered (data-test of the control)
OFFERED = {
    ADMIN: {"grid": {"new-estate", "new-person"}, "volunteers": {"create-team"}},
    GRID_WORKER: {"grid": set(), "volunteers": set()},
    TREASURER: {"fund": {"record-donation"}},
}
REFUSED = {
    ADMIN: {},
    GRID_WORKER: {
        "grid": {"new-estate", "new-person"},
        "volunteers": {"create-team", "create-reward"},
    },
    TREASURER: {"grid": {"new-estate", "new-person"}, "fund": {"approve-grant", "new-project"}},
}
MENU = {ADMIN: "共建实践金", GRID_WORKER: None, TREASURER: "共建实践金"}


@pytest.mark.parametrize(
    "phone", [ADMIN, GRID_WORKER, TREASURER], ids=["admin", "grid-worker", "treasurer"]
)
def test_each_office_page_renders_with_the_roles_actions_only(screen, phone):
    role = {ADMIN: "admin", GRID_WORKER: "grid-worker", TREASURER: "treasurer"}[phone]
    office = screen(name=f"office-{role}")
    page = office.page
    office.login("/login", phone)
    page.wait_for_url("**/office/dashboard")
    page.locator("[data-chart=status]").wait_for()
    menu = page.locator(".el-menu").inner_text()
    if MENU[phone]:
        assert MENU[phone] in menu
    else:
        assert "共建实践金" not in menu

    for name, (item, tabs, always) in PAGES.items():
        if name == "fund" and not MENU[phone]:
            continue
        page.locator(".el-menu-item", has_text=item).click()
        page.wait_for_url(f"**/office/{name}")
        if always:
            page.locator(always).wait_for()
        for tab in tabs:
            page.click(f"#tab-{tab}")  # Element Plus names a tab's header by its pane
            page.wait_for_timeout(400)
            office.shot(f"{name}-{tab}")
            # names come with what the role may read; none is a refused lookup
            assert "无权查看" not in page.inner_text(".el-main"), (name, tab)
        for control in OFFERED[phone].get(name, set()):
            assert page.locator(f"[data-test={control}]").count() > 0, (name, control)
        for control in REFUSED[phone].get(name, set()):
            assert page.locator(f"[data-test={control}]:visible").count() == 0, (name, control)
    assert office.errors == []


def test_a_treasurer_records_a_donation_and_the_public_report_counts_it(screen, api):
    treasurer = api(TREASURER)
    community = treasurer.get("/me").json()["communities"][0]["id"]
    fund = treasurer.get(f"/funds?community_id={community}").json()[0]
    before = api.anonymous.get(f"/funds/{fund['id']}/report").json()

    office = screen(name="office-fund-donation")
    page = office.page
    office.login("/login", TREASURER)
    page.wait_for_url("**/office/dashboard")
    office.open("/office/fund")
    page.click("[data-test=record-donation]")
    dialog = page.locator("[data-test=donation-dialog]")
    dialog.get_by_text("爱心捐").click()
    dialog.locator("[data-test=donation-amount] input").fill("1234.50")
    dialog.locator("input[data-test=donation-donor]").fill("王秀英")
    # two quick clicks record one donation: the dialog's Idempotency-Key
    dialog.locator("[data-test=confirm-donation]").dblclick()
    page.locator("[data-test=donation-table]", has_text="王秀英").wait_for()
    office.shot("recorded")

    after = api.anonymous.get(f"/funds/{fund['id']}/report").json()
    assert after["income_by_channel"]["caring"] == before["income_by_channel"]["caring"] + 123450
    assert after["income_total_fen"] == before["income_total_fen"] + 123450
    assert office.errors == []
