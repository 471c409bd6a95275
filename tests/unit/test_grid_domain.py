"""The grid's pure rules: roles, the party tree, the duty roster, phone masking."""

import pytest

from grid import domain
from yzw_kernel.contracts.grid import GRID_ROLES, PARTY_ORG_KINDS
from yzw_kernel.errors import Conflict, InvalidInput

# -- check_grid_role -----------------------------------------------------------


def test_a_first_grid_worker_is_accepted():
    domain.check_grid_role("grid_worker", set(), False)
    domain.check_grid_role("grid_worker", {"grid_leader", "building_head"}, False)


def test_a_second_grid_worker_in_a_grid_is_a_conflict():
    with pytest.raises(Conflict) as raised:
        domain.check_grid_role("grid_worker", {"grid_worker"}, False)
    assert "role" in raised.value.fields


def test_a_second_grid_leader_in_a_grid_is_a_conflict():
    with pytest.raises(Conflict) as raised:
        domain.check_grid_role("grid_leader", {"grid_worker", "grid_leader"}, False)
    assert "role" in raised.value.fields


@pytest.mark.parametrize(
    "role", [r for r in GRID_ROLES if r not in domain.SINGLE_HOLDER_ROLES], ids=str
)
def test_roles_held_by_many_in_a_grid_are_accepted_again(role):
    held = {"grid_worker", "grid_leader", role}
    domain.check_grid_role(role, held, False)  # a third building head, a second unit head...


@pytest.mark.parametrize("role", GRID_ROLES)
def test_the_same_person_taking_the_same_role_twice_is_a_conflict(role):
    with pytest.raises(Conflict, match=role):
        domain.check_grid_role(role, {role}, True)


def test_the_single_holder_roles_are_exactly_worker_and_leader():
    assert set(domain.SINGLE_HOLDER_ROLES) == {"grid_worker", "grid_leader"}


# -- check_party_parent --------------------------------------------------------

ALLOWED_PARENTS = {
    "community_committee": {None},
    "grid_branch": {"community_committee"},
    "functional_branch": {"community_committee"},
    "building_group": {"grid_branch"},
    "central_household": {"building_group"},
    "action_group": {"community_committee", "grid_branch", "functional_branch"},
}
ALL_PARENTS = (None, *PARTY_ORG_KINDS)


def test_every_party_org_kind_has_its_parent_rule():
    assert set(ALLOWED_PARENTS) == set(PARTY_ORG_KINDS) == set(domain.PARTY_ORG_PARENTS)


@pytest.mark.parametrize(
    ("kind", "parent"),
    [(kind, parent) for kind, parents in ALLOWED_PARENTS.items() for parent in parents],
)
def test_a_party_org_under_an_allowed_parent_is_accepted(kind, parent):
    domain.check_party_parent(kind, parent)


@pytest.mark.parametrize(
    ("kind", "parent"),
    [
        (kind, parent)
        for kind, parents in ALLOWED_PARENTS.items()
        for parent in ALL_PARENTS
        if parent not in parents
    ],
)
def test_a_party_org_under_any_other_parent_is_refused_naming_parent_id(kind, parent):
    with pytest.raises(InvalidInput) as raised:
        domain.check_party_parent(kind, parent)
    assert list(raised.value.fields) == ["parent_id"]
    assert kind in raised.value.message


def test_the_refusal_says_what_the_kind_belongs_under():
    with pytest.raises(InvalidInput, match="no parent"):
        domain.check_party_parent("community_committee", "grid_branch")
    with pytest.raises(InvalidInput, match="building_group"):
        domain.check_party_parent("central_household", "grid_branch")


# -- duty months ---------------------------------------------------------------


def test_the_six_slots_cover_the_twelve_months_two_each_in_order():
    months = [domain.duty_months(slot) for slot in range(1, 7)]
    assert months == [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]]


@pytest.mark.parametrize("month", range(1, 13))
def test_the_slot_of_a_month_convenes_in_that_month(month):
    slot = domain.duty_slot_for_month(month)
    assert 1 <= slot <= 6
    assert month in domain.duty_months(slot)


# -- check_duty_roster ---------------------------------------------------------


def test_six_different_member_orgs_make_a_roster():
    domain.check_duty_roster(["a", "b", "c", "d", "e", "f"])


@pytest.mark.parametrize("count", [0, 5, 7])
def test_a_roster_of_other_than_six_is_invalid(count):
    with pytest.raises(InvalidInput) as raised:
        domain.check_duty_roster([f"org-{n}" for n in range(count)])
    assert list(raised.value.fields) == ["member_org_ids"]


def test_a_member_org_on_duty_twice_is_invalid():
    with pytest.raises(InvalidInput, match="once a year") as raised:
        domain.check_duty_roster(["a", "b", "c", "d", "e", "a"])
    assert list(raised.value.fields) == ["member_org_ids"]


# -- mask_phone ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13800000003", "138****0003"),
        ("13912345678", "139****5678"),
        ("12345678", "123*5678"),
        ("1234567", "*******"),
        ("123456", "******"),
        ("", ""),
    ],
)
def test_mask_phone(phone, masked):
    assert domain.mask_phone(phone) == masked


def test_a_masked_mobile_number_keeps_length_and_hides_the_middle_four():
    masked = domain.mask_phone("13812345678")
    assert len(masked) == 11
    assert "1234" not in masked
    assert masked.count("*") == 4


# -- whole_phone: what the people finder matches a phone on ------------------------


@pytest.mark.parametrize(
    "text",
    ["13812345678", "138 1234 5678", "138-1234-5678", "+8613812345678", "008613812345678"],
)
def test_a_whole_phone_number_is_read_in_its_usual_spellings(text):
    assert domain.whole_phone(text) == "13812345678"


@pytest.mark.parametrize(
    "text",
    [
        "1381234567",  # a digit short: a part is never a phone
        "138123456789",
        "138",
        "1381234",
        "12345678",
        "138****5678",
        "23812345678",
        "1381234567８",  # a full-width digit
        "１３８１２３４５６７８",
        "13812345678x",
        "张三",
        "",
    ],
)
def test_anything_but_a_whole_mobile_number_is_none(text):
    assert domain.whole_phone(text) is None
