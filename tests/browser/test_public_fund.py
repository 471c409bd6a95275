"""The fund's public transparency page, read without logging in."""

from conftest import ADMIN, PHONE


def yuan(fen):
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def test_the_public_fund_page_shows_the_reports_totals_without_login(screen, api):
    admin = api(ADMIN)
    community = admin.get("/me").json()["communities"][0]["id"]
    fund = admin.get(f"/funds?community_id={community}").json()[0]
    report = api.anonymous.get(f"/funds/{fund['id']}/report").json()

    for viewport, mobile, label in ((None, False, "desktop"), (PHONE, True, "phone")):
        public = screen(
            name=f"public-fund-{label}",
            **({"viewport": viewport} if viewport else {}),
            mobile=mobile,
        )
        page = public.page
        public.open(f"/public/funds/{fund['id']}")
        page.locator("[data-test=fund-name]").wait_for()
        assert page.inner_text("[data-test=fund-name]") == report["fund"]["name"]
        for field in (
            "income_total_fen",
            "spending_total_fen",
            "available_fen",
            "earmarked_fen",
            "allocated_fen",
            "in_kind_total_fen",
        ):
            shown = page.inner_text(f"[data-total={field}] [data-test=total-value]")
            assert shown == yuan(report[field]), field
        income = page.eval_on_selector_all(
            "table[data-table=income] td", "cells => cells.map(c => Number(c.dataset.fen))"
        )
        assert income == list(report["income_by_channel"].values())
        assert sum(income) == report["income_total_fen"]
        assert page.locator("text=登录").count() == 0
        public.shot("report")
        assert public.errors == []
