"""The funding service's pure rules: which accounts hold money, how donors are shown,
fen as yuan, and what an Idempotency-Key and a request fingerprint are."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funding import funds, idempotency, ledger
from yzw_kernel.errors import InvalidInput

# -- accounts that hold money may never go below zero -----------------------------


@pytest.mark.parametrize(
    ("account", "holds"),
    [
        ("available", True),
        (ledger.earmarked("p-1"), True),
        (ledger.allocated("p-1"), True),
        (ledger.income("caring"), False),
        (ledger.spent_on_grant("emergency_relief"), False),
        # spent money is gone: "spent:project:" must not pass for "project:"
        (ledger.spent_on_project("p-1"), False),
        ("available:extra", False),
        ("Available", False),
        ("", False),
    ],
)
def test_only_available_earmarked_and_allocated_accounts_hold_money(account, holds):
    assert ledger.holds_money(account) is holds


def test_account_names_say_what_the_money_is():
    assert ledger.income("mutual_aid") == "income:mutual_aid"
    assert ledger.earmarked("p-1") == "earmarked:p-1"
    assert ledger.allocated("p-1") == "project:p-1"
    assert ledger.spent_on_grant("student_award") == "spent:grant:student_award"
    assert ledger.spent_on_project("p-1") == "spent:project:p-1"


# -- donors' names in public ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "name", "show_name", "shown"),
    [
        ("person", "张三", True, "张三"),
        ("member_org", "包头供电公司", True, "包头供电公司"),
        ("person", "张三", False, "张*"),
        ("person", "李", False, "李*"),  # a one-character name still hides that it is one
        ("person", "欧阳娜娜", False, "欧***"),
        ("member_org", "包头供电公司", False, "包***"),  # never more than three stars
        ("anonymous", "张三", True, funds.ANONYMOUS),  # anonymous wins over show_name
        ("person", None, True, funds.ANONYMOUS),
        ("person", "", False, funds.ANONYMOUS),
    ],
)
def test_a_donor_is_named_only_if_they_agreed(kind, name, show_name, shown):
    assert funds.display_name(kind, name, show_name) == shown


@given(st.text(min_size=1, max_size=60))
def test_a_masked_name_shows_its_first_character_and_one_to_three_stars(name):
    masked = funds.display_name("person", name, False)
    assert masked[0] == name[0]
    assert masked[1:] == "*" * min(max(len(name) - 1, 1), 3)


# -- fen and yuan -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "yuan"),
    [
        (0, "0.00"),
        (1, "0.01"),
        (99, "0.99"),
        (100, "1.00"),
        (360_000_0, "36000.00"),
        (300_000_000, "3000000.00"),
        (-1, "-0.01"),
        (-12_345, "-123.45"),
    ],
)
def test_fen_are_written_as_yuan_with_two_decimals(fen, yuan):
    assert funds.yuan(fen) == yuan


@given(st.integers(min_value=-(10**13), max_value=10**13))
def test_yuan_reads_back_as_the_same_fen(fen):
    written = funds.yuan(fen)
    whole, cents = written.lstrip("-").split(".")
    assert len(cents) == 2
    assert (-1 if written.startswith("-") else 1) * (int(whole) * 100 + int(cents)) == fen


# -- Idempotency-Key -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "kept"),
    [
        ("abc", "abc"),
        ("  donation-2026-001  ", "donation-2026-001"),
        ("捐款-一号", "捐款-一号"),
        (12345, "12345"),
        ("k" * idempotency.MAX_KEY_LENGTH, "k" * idempotency.MAX_KEY_LENGTH),
    ],
)
def test_a_good_key_is_kept_without_its_surrounding_spaces(key, kept):
    assert idempotency.check_key(key) == kept


@pytest.mark.parametrize(
    "key",
    ["", "   ", "k" * (idempotency.MAX_KEY_LENGTH + 1), "two\nlines", "tab\there", "nul\x00"],
)
def test_a_bad_key_is_invalid_input_naming_the_header(key):
    with pytest.raises(InvalidInput) as raised:
        idempotency.check_key(key)
    assert "Idempotency-Key" in raised.value.fields


def test_a_fingerprint_ignores_key_order_but_not_values():
    body = {"fund_id": "f-1", "data": {"channel": "caring", "amount_fen": 500, "note": "爱心"}}
    shuffled = {"data": {"note": "爱心", "amount_fen": 500, "channel": "caring"}, "fund_id": "f-1"}
    assert idempotency.fingerprint(body) == idempotency.fingerprint(shuffled)
    assert len(idempotency.fingerprint(body)) == 64
    for changed in (
        {**body, "fund_id": "f-2"},
        {**body, "data": {**body["data"], "amount_fen": 5000}},
        {**body, "data": {**body["data"], "note": "爱心捐"}},
        {**body, "data": {**body["data"], "project_id": None}},
    ):
        assert idempotency.fingerprint(changed) != idempotency.fingerprint(body)


@given(
    st.dictionaries(
        st.text(max_size=8), st.one_of(st.integers(), st.text(max_size=8), st.none()), max_size=6
    )
)
def test_a_fingerprint_is_the_same_for_the_same_request_however_it_is_ordered(body):
    reordered = dict(reversed(list(body.items())))
    assert idempotency.fingerprint(body) == idempotency.fingerprint(reordered)
