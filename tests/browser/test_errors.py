"""What the API refuses is shown in Chinese, never in the API's English."""

import re
import uuid

from conftest import ADMIN, GRID_WORKER, PHONE, RESIDENT

ENGLISH = re.compile(r"[A-Za-z]{4,}")


def test_a_wrong_password_is_said_in_chinese(screen):
    phone = screen(viewport=PHONE, mobile=True, name="error-login")
    page = phone.page
    phone.open("/h5/login")
    page.fill("input[name=phone]", RESIDENT)
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    alert = page.locator(".el-alert--error")
    alert.wait_for()
    assert alert.inner_text().strip() == "手机号或密码错误"
    phone.shot("wrong-password")


def test_a_claim_someone_else_took_first_is_a_chinese_conflict(screen, api):
    resident = api(RESIDENT)
    home = resident.get("/me").json()["household"]["id"]
    appeal = resident.created(
        "/appeals",
        {
            "category": "sanitation",
            "title": f"垃圾桶满溢 {uuid.uuid4().hex[:6]}",
            "description": "两天没清运",
            "household_id": home,
        },
    )
    office = screen(name="error-conflict")
    page = office.page
    office.login("/login", ADMIN)
    page.wait_for_url("**/office/dashboard")
    office.open("/office/appeals")
    page.locator("[data-test=appeal-table] .el-table__row", has_text=appeal["number"]).click()
    claim = page.locator(".el-drawer [data-test=claim]")
    claim.wait_for()
    # meanwhile the grid's worker takes it on from their own app
    assert api(GRID_WORKER).post(f"/appeals/{appeal['id']}/claim").status_code == 200
    claim.click()
    toast = page.locator(".yzw-error")
    toast.wait_for()
    text = toast.inner_text()
    assert text.startswith("操作冲突"), text
    assert not ENGLISH.search(text), text
    office.shot("conflict")


def test_bad_input_names_the_field_in_chinese(screen, api):
    phone = screen(viewport=PHONE, mobile=True, name="error-input")
    page = phone.page
    phone.login("/h5/login", RESIDENT)
    page.wait_for_url("**/h5/appeals")
    phone.open("/h5/appeals/new")
    page.click("[data-test=category]")
    page.locator(".el-select-dropdown__item:visible", has_text="其他").click()
    page.fill("input[data-test=title]", "标" * 10)
    page.fill("textarea[data-test=description]", "说明")
    # a photo link the form lets through but the API refuses: not a URL it accepts
    page.fill("input[data-test=photo]", "http://intranet")
    page.click("[data-test=submit-appeal]")
    alert = page.locator(".el-alert--error")
    alert.wait_for()
    text = alert.inner_text().strip()
    assert text == "填写的内容有误：照片链接：须为以 http:// 或 https:// 开头的网址", text
    phone.shot("bad-photo-link")


def test_the_device_token_is_sent_back_and_one_the_gateway_refuses_is_forgotten(screen):
    office = screen(name="error-device")
    page = office.page
    sent = []
    page.on(
        "request",
        lambda r: sent.append(r.headers.get("x-device")) if r.url.endswith("/auth/login") else None,
    )
    office.login("/login", ADMIN)
    page.wait_for_url("**/office/dashboard")
    device = page.evaluate("localStorage.getItem('yzw.device')")
    assert device and sent == [None]

    # logged out, the browser logs in again as the device it was told it is
    page.evaluate("localStorage.removeItem('yzw.token')")
    office.login("/login", ADMIN)
    page.wait_for_url("**/office/dashboard")
    assert sent[-1] == device
    assert page.evaluate("localStorage.getItem('yzw.device')") == device

    # a token edited past what the gateway takes is dropped, and the login goes on
    page.evaluate("localStorage.setItem('yzw.device', 'x'.repeat(65))")
    page.evaluate("localStorage.removeItem('yzw.token')")
    office.login("/login", ADMIN)
    page.wait_for_url("**/office/dashboard")
    assert sent[-2:] == ["x" * 65, None]
    fresh = page.evaluate("localStorage.getItem('yzw.device')")
    assert fresh and fresh != "x" * 65
    assert page.locator(".yzw-error, .el-alert--error").count() == 0
