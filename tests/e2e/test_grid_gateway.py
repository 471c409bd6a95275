"""The grid through the gateway, end to end over real RabbitMQ and a real database."""

import time
from urllib.parse import urlencode

from api_client import build_community, next_phone


def register_resident(api, household_id, password, name="居民", **extra):
    phone = next_phone()
    person = api.created(
        "/people",
        {"name": name, "phone": phone, "password": password, "household_id": household_id, **extra},
    )
    return person, phone


def test_registered_resident_logs_in_and_sees_household_grid_and_worker(suite):
    ids = build_community(suite)
    worker = suite.anonymous().login(ids["worker_phones"][0], suite.password)
    household = ids["households"][0][0]

    resident, phone = register_resident(worker, household, suite.password, name="张大妈")
    me = suite.anonymous().login(phone, suite.password).get("/me")

    assert me.status_code == 200, me.text
    body = me.json()
    assert body["person"]["id"] == resident["id"]
    assert body["person"]["phone"] == phone  # your own number, unmasked
    assert "resident" in body["roles"]
    assert body["household"]["id"] == household
    assert body["household"]["building"]["id"] == ids["buildings"][0]
    assert body["grid"]["id"] == ids["grids"][0]
    workers = [s for s in body["grid_staff"] if s["role"] == "grid_worker"]
    assert [w["person_id"] for w in workers] == [ids["workers"][0]]
    assert "****" in workers[0]["phone"]  # a resident sees staff phones masked


def test_second_grid_worker_for_a_grid_is_a_conflict(suite):
    ids = build_community(suite, grids=1)
    admin = suite.admin()
    other, _ = register_resident(admin, ids["households"][0][0], suite.password)

    response = admin.post(
        f"/grids/{ids['grids'][0]}/roles", {"person_id": other["id"], "role": "grid_worker"}
    )

    assert response.status_code == 409, response.text
    assert response.json()["error"] == "conflict"
    staff = admin.get(f"/households/{ids['households'][0][0]}/locate").json()["grid_staff"]
    assert [s["person_id"] for s in staff if s["role"] == "grid_worker"] == [ids["workers"][0]]


def test_one_grid_leader_serves_three_grids(suite):
    ids = build_community(suite, grids=3)
    admin = suite.admin()
    leader, phone = register_resident(admin, ids["households"][0][0], suite.password, name="网格长")

    for grid_id in ids["grids"]:
        response = admin.post(
            f"/grids/{grid_id}/roles", {"person_id": leader["id"], "role": "grid_leader"}
        )
        assert response.status_code == 201, response.text

    for homes in ids["households"]:
        staff = admin.get(f"/households/{homes[0]}/locate").json()["grid_staff"]
        assert [s["person_id"] for s in staff if s["role"] == "grid_leader"] == [leader["id"]]
    # the leader, as staff of all three grids, sees residents' numbers in each
    leader_api = suite.anonymous().login(phone, suite.password)
    for homes in ids["households"]:
        staff = leader_api.get(f"/households/{homes[0]}/locate").json()["grid_staff"]
        assert all("*" not in s["phone"] for s in staff)


def test_bad_json_and_bad_fields_give_400_naming_the_fields(suite):
    admin = suite.admin()

    broken = admin.request(
        "POST", "/communities", data=b'{"name": ', headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400
    assert broken.json()["error"] == "invalid_input"
    assert "_body" in broken.json()["fields"]

    bad = admin.post(
        "/people",
        {"name": "", "phone": "12345", "password": "short", "kind": "alien", "colour": "red"},
    )
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"name", "phone", "password", "kind", "colour"}


FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def test_a_phone_number_is_one_number_however_it_is_typed(suite):
    """A number with a line break after it, typed full-width, spaced or in another
    script's digits is the registered number again (409) or not a number (400): never
    a second person. Its owner logs in and staff find them however they type it."""
    ids = build_community(suite, grids=1)
    admin = suite.admin()
    household = ids["households"][0][0]
    person, phone = register_resident(admin, household, suite.password, name="王大爷")

    spelled = {
        phone + "\n": 409,
        phone + "\r\n": 409,
        f" {phone} ": 409,
        f"{phone[:3]} {phone[3:7]} {phone[7:]}": 409,
        f"{phone[:3]}-{phone[3:7]}-{phone[7:]}": 409,
        phone.translate(FULL_WIDTH): 409,
        "1" + phone[1:].translate(FULL_WIDTH): 409,
        "1" + phone[1:].translate(ARABIC_INDIC): 400,
        phone + "\x00": 400,
        phone + "0": 400,
    }
    for form, status in spelled.items():
        again = admin.post(
            "/people",
            {"name": "冒名", "phone": form, "password": suite.password, "household_id": household},
        )
        named = list(again.json().get("fields", {}))
        assert (again.status_code, named) == (status, ["phone"]), form

    found = admin.get(f"/communities/{ids['community']}/people?q={phone}")
    assert [p["id"] for p in found.json()] == [person["id"]]  # one person, not a second
    for form in (phone.translate(FULL_WIDTH), f"{phone[:3]} {phone[3:7]} {phone[7:]}"):
        me = suite.anonymous().login(form, suite.password).get("/me").json()
        assert me["person"]["id"] == person["id"], form
        found = admin.get(f"/communities/{ids['community']}/people?{urlencode({'q': form})}")
        assert [p["id"] for p in found.json()] == [person["id"]], form


def test_unknown_route_is_json_404_and_missing_token_is_401(suite):
    api = suite.anonymous()

    unknown = api.get("/no/such/route")
    assert unknown.status_code == 404
    assert unknown.headers["Content-Type"].startswith("application/json")
    assert unknown.json()["error"] == "not_found"

    no_token = api.get("/me")
    assert no_token.status_code == 401
    assert no_token.json()["error"] == "unauthenticated"

    forged = api.get("/me", headers={"Authorization": "Bearer not.a.token"})
    assert forged.status_code == 401


def test_a_resident_cannot_read_another_residents_record(suite):
    ids = build_community(suite)
    admin = suite.admin()
    alice, alice_phone = register_resident(admin, ids["households"][0][0], suite.password)
    bob, _ = register_resident(admin, ids["households"][1][0], suite.password)
    alice_api = suite.anonymous().login(alice_phone, suite.password)

    assert alice_api.get(f"/people/{alice['id']}").status_code == 200
    other = alice_api.get(f"/people/{bob['id']}")
    assert other.status_code in (403, 404)
    assert "phone" not in other.json()
    # nor look up a household that is not theirs
    assert alice_api.get(f"/households/{ids['households'][1][0]}/locate").status_code == 403


def test_phones_are_masked_except_for_the_person_and_their_grid_staff(suite):
    ids = build_community(suite)
    admin = suite.admin()
    resident, phone = register_resident(admin, ids["households"][0][0], suite.password)
    own_worker = suite.anonymous().login(ids["worker_phones"][0], suite.password)
    other_worker = suite.anonymous().login(ids["worker_phones"][1], suite.password)

    assert own_worker.get(f"/people/{resident['id']}").json()["phone"] == phone
    assert admin.get(f"/people/{resident['id']}").json()["phone"] != phone
    assert other_worker.get(f"/people/{resident['id']}").status_code == 403


def test_with_the_grid_service_stopped_a_grid_route_answers_503_quickly(suite):
    admin = suite.admin()
    suite.containers["grid"].stop()

    started = time.monotonic()
    response = admin.get("/me")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["error"] == "service_unavailable"
    assert "grid" in response.json()["message"]
    assert elapsed < 2 + 3  # the test config's RPC_TIMEOUT, plus slack; never a hang

    health = suite.anonymous().get("/health")
    assert health.status_code == 503
    assert health.json()["services"]["grid"]["status"] == "down"
    assert health.json()["broker"]["status"] == "ok"


def test_health_reports_broker_and_services(suite):
    health = suite.anonymous().get("/health")
    assert health.status_code == 200, health.text
    assert health.json() == {
        "status": "ok",
        "broker": {"status": "ok"},
        "services": {
            "grid": {"status": "ok"},
            "appeals": {"status": "ok"},
            "volunteer": {"status": "ok"},
            "funding": {"status": "ok"},
        },
    }


def test_level_names_are_data_a_rural_street_renames_them(suite):
    ids = build_community(suite, grids=1)
    admin = suite.admin()

    renamed = admin.put(
        f"/streets/{suite.street_id}/level-names",
        {"level_names": {"street": "镇", "community": "村", "grid": "村民小组"}},
    )
    assert renamed.status_code == 200, renamed.text

    community = admin.get(f"/communities/{ids['community']}").json()
    assert community["level_names"]["community"] == "村"
    assert community["level_names"]["grid"] == "村民小组"
    assert community["level_names"]["building"] == "楼栋"  # untouched levels keep their names

    unknown = admin.put(
        f"/streets/{suite.street_id}/level-names", {"level_names": {"planet": "星球"}}
    )
    assert unknown.status_code == 400
    assert "level_names" in unknown.json()["fields"]

    worker = suite.anonymous().login(ids["worker_phones"][0], suite.password)
    refused = worker.put(
        f"/streets/{suite.street_id}/level-names", {"level_names": {"community": "屯"}}
    )
    assert refused.status_code == 403
