"""The 共建实践金 ledger's rules through the funding service layer, on SQLite and PostgreSQL.

Money is conserved and never overdrawn whatever happens and in whatever order
(a Hypothesis property over random operations); a refused spend changes
nothing; payments racing for the same money pay only what there is; the
database itself refuses to rewrite money history; and an Idempotency-Key makes
a retried donation — or fifty at once — one donation, through the real
service over RabbitMQ.

Principals are written out as grid gives them (tests/support/funding_world.py);
races are green threads, each in its own transaction on the same Store, which
PostgreSQL runs side by side and SQLite one after another.
"""

import csv
import io

import eventlet
import pytest
from funding_world import (
    ADMIN,
    OTHER_ADMIN,
    OTHER_TREASURER,
    RESIDENT,
    SECOND_TREASURER,
    STREET,
    TREASURER,
    WORKER,
    approved_grant,
    approved_project,
    available,
    balances,
    everything,
    give,
    new_project,
    open_fund,
    published,
    slowed,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.utils import get_extension
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from usecases import every_item, refused, run

from funding import funds, grants, idempotency, ledger, projects
from funding.models import Donation, LedgerTransaction
from funding.service import MIGRATIONS, FundingService
from yzw_kernel.contracts import funding as contract
from yzw_kernel.db import Store
from yzw_kernel.errors import Conflict, Forbidden, InvalidInput, NotFound
from yzw_kernel.providers import Database


@pytest.fixture
def store(database_url):
    store = Store(database_url, source="funding", migrations=MIGRATIONS)
    store.migrate()
    yield store
    store.dispose()


def race(store, attempts):
    """Run each (use_case, *args) in its own green thread and transaction, all at
    once; returns each outcome (a result or the error raised) and how many
    transactions were open at the same moment at most."""
    open_now, most_open = 0, 0

    def attempt(call):
        nonlocal open_now, most_open
        use_case, *args = call
        try:
            with store.transaction() as tx:
                open_now += 1
                most_open = max(most_open, open_now)
                try:
                    return use_case(tx, *args)
                finally:
                    open_now -= 1
        except (Conflict, Forbidden, NotFound, InvalidInput) as error:
            return error

    outcomes = list(eventlet.GreenPool(len(attempts)).imap(attempt, attempts))
    return outcomes, most_open


def reason(why="录入错误"):
    return {"reason": why}


# -- 1. any sequence of operations keeps the books ------------------------------------


class Book:
    """One fresh fund driven by a random sequence of operations.

    A refusal must be a Conflict (409) and must leave the fund's ledger as it
    was; `income` counts what donations the model expects to stand.
    """

    def __init__(self, store):
        self.store = store
        self.fund_id = open_fund(store)
        self.projects = []
        self.completed = set()
        self.income = 0
        self.in_kind_total = 0

    def books(self):
        with self.store.reading() as session:
            transactions = session.scalar(
                select(func.count())
                .select_from(LedgerTransaction)
                .where(LedgerTransaction.fund_id == self.fund_id)
            )
            return transactions, ledger.balances(session, self.fund_id)

    def attempt(self, use_case, *args):
        before = self.books()
        try:
            return run(self.store, use_case, *args)
        except Conflict as refusal:
            assert refusal.status == 409
            assert self.books() == before, f"{use_case.__name__} was refused but wrote: {refusal}"
            return None

    def project(self, pick):
        """One of the fund's projects, an unfinished one while there are any."""
        unfinished = [p for p in self.projects if p not in self.completed]
        candidates = unfinished or self.projects
        return candidates[pick % len(candidates)] if candidates else None

    # -- the operations ------------------------------------------------------------

    def donate(self, channel, amount, pick):
        project_id = self.project(pick) if pick is not None else None
        if channel == "directed" and project_id is None:
            channel = "caring"  # a directed gift names its project
        data = {"channel": channel, "amount_fen": amount, "project_id": project_id}
        if self.attempt(funds.donate, TREASURER, self.fund_id, data):
            self.income += amount

    def in_kind(self, valuation):
        data = {"description": "交通锥", "quantity": 300, "valuation_fen": valuation}
        run(self.store, funds.register_in_kind, TREASURER, self.fund_id, data)
        self.in_kind_total += valuation

    def grant(self, purpose, amount):
        grant = approved_grant(self.store, self.fund_id, amount, purpose)
        self.attempt(grants.pay, TREASURER, grant["id"])

    def new_project(self, budget):
        self.projects.append(approved_project(self.store, self.fund_id, budget)["id"])

    def advance(self, pick, steps, percent):
        """Up to `steps` of the project's next steps: fund, start, complete (spending
        `percent` of the allocation; over 100 overspends); a refusal stops it."""
        project_id = self.project(pick)
        for _ in range(steps if project_id else 0):
            if not self.step(project_id, percent):
                return

    def step(self, project_id, percent):
        project = run(self.store, projects.get, TREASURER, project_id)
        status = project["status"]
        if status == "approved":
            return self.attempt(projects.fund, TREASURER, project_id)
        if status == "funded":
            started = self.attempt(projects.start, ADMIN, project_id)
            assert started["status"] == "in_progress"
            return started
        spend = project["funded_fen"] * percent // 100
        done = self.attempt(
            projects.complete,
            TREASURER,
            project_id,
            {"beneficiaries": 120, "actual_spend_fen": spend},
        )
        if status == "completed" or spend > project["funded_fen"]:
            assert done is None
        else:
            assert done["status"] == "completed" and done["spent_fen"] == spend
            self.completed.add(project_id)
        return done

    def reverse(self, kind, pick):
        """Reverse an earlier transaction, of `kind` if there is one."""
        transactions = run(self.store, funds.ledger_view, self.fund_id)
        transactions = [t for t in transactions if t["kind"] == kind] or transactions
        if not transactions:
            return
        original = transactions[pick % len(transactions)]
        reversal = self.attempt(funds.reverse, TREASURER, self.fund_id, original["id"], reason())
        if original["kind"] not in ("donation", "grant_payment", "allocation"):
            assert reversal is None  # completions and reversals stand
        if reversal and original["kind"] == "donation":
            self.income += sum(
                e["amount_fen"] for e in original["entries"] if e["account"].startswith("income:")
            )

    def play(self, name, *args):
        getattr(self, name)(*args)

    # -- what must hold afterwards ---------------------------------------------------

    def check(self):
        transactions = run(self.store, funds.ledger_view, self.fund_id)
        by_id = {t["id"]: t for t in transactions}
        for transaction in transactions:
            amounts = [e["amount_fen"] for e in transaction["entries"]]
            assert len(amounts) >= 2 and 0 not in amounts, transaction
            assert sum(amounts) == 0, transaction
            if transaction["reverses"]:
                original = by_id[transaction["reverses"]]
                assert sorted((e["account"], -e["amount_fen"]) for e in original["entries"]) == (
                    sorted((e["account"], e["amount_fen"]) for e in transaction["entries"])
                )
        reversed_ids = [t["reverses"] for t in transactions if t["reverses"]]
        assert len(reversed_ids) == len(set(reversed_ids))  # each reversed once at most

        kept, summed = balances(self.store, self.fund_id)
        assert kept == summed
        assert {a: v for a, v in summed.items() if ledger.holds_money(a) and v < 0} == {}
        assert sum(summed.values()) == 0

        report = run(self.store, funds.report, self.fund_id)
        donations = every_item(self.store, funds.list_donations, TREASURER, self.fund_id)
        standing = sum(d["amount_fen"] for d in donations if not d["reversed"])
        assert report["income_total_fen"] == self.income == standing
        assert report["in_kind_total_fen"] == self.in_kind_total
        in_hand = report["available_fen"] + report["earmarked_fen"] + report["allocated_fen"]
        assert in_hand == report["income_total_fen"] - report["spending_total_fen"]
        assert min(report["available_fen"], report["earmarked_fen"], report["allocated_fen"]) >= 0

        query = {"fund_id": self.fund_id}
        paid = every_item(self.store, grants.list_grants, TREASURER, query=query)
        on_grants = sum(report["spending_by_purpose"][p] for p in contract.GRANT_PURPOSES)
        assert on_grants == sum(g["amount_fen"] for g in paid if g["status"] == "paid")
        for project in report["projects"]:
            pid = project["id"]
            allocated = summed.get(ledger.allocated(pid), 0)
            spent = summed.get(ledger.spent_on_project(pid), 0)
            if project["status"] == "completed":
                assert allocated == 0 and summed.get(ledger.earmarked(pid), 0) == 0
                assert spent == project["spent_fen"] <= project["funded_fen"]
            elif project["status"] in ("funded", "in_progress"):
                assert allocated == project["funded_fen"] == project["budget_fen"] and spent == 0
            else:
                assert allocated == 0 and project["funded_fen"] == 0 and spent == 0


def fen(*typical, most):
    """Amounts: typical ones as often as any (Hypothesis alone favours 1 fen)."""
    return st.sampled_from(typical) | st.integers(1, most)


DONATION = st.tuples(
    st.just("donate"),
    st.sampled_from(contract.CHANNELS),
    fen(1_000, 10_000, 30_000, 60_000, most=60_000),
    st.none() | st.integers(0, 3),
)
PROJECT_STEP = st.tuples(
    st.just("advance"),
    st.integers(0, 3),
    st.integers(1, 3),
    st.sampled_from([0, 60, 100, 101]) | st.integers(0, 110),
)
# weighted so that spends both succeed and run short, and projects get to the end
OPERATION = st.one_of(
    DONATION,
    DONATION,
    st.tuples(st.just("in_kind"), fen(300_000, 3_600_000, most=5_000_000)),
    st.tuples(
        st.just("grant"),
        st.sampled_from(contract.GRANT_PURPOSES),
        fen(500, 5_000, 15_000, most=30_000),
    ),
    st.tuples(st.just("new_project"), fen(1, 8_000, 20_000, most=30_000)),
    PROJECT_STEP,
    PROJECT_STEP,
    st.tuples(
        st.just("reverse"),
        st.sampled_from(["donation", "grant_payment", "allocation", "completion", "reversal"]),
        st.integers(0, 40),
    ),
)


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    opening=st.sampled_from([0, 50_000, 200_000]) | st.integers(0, 200_000),
    operations=st.lists(OPERATION, min_size=10, max_size=40),
)
def test_any_sequence_of_operations_balances_and_never_overdraws(store, opening, operations):
    book = Book(store)  # a fresh fund for every example: one store serves them all
    if opening:
        book.donate("leading", opening, None)
    for operation in operations:
        book.play(*operation)
    book.check()


# -- 2. spending more than there is: 409, and nothing written ----------------------------


def overpaid_grant(store, fund):
    give(store, fund, 10_000)
    grant = approved_grant(store, fund, 10_001)
    return (grants.pay, TREASURER, grant["id"]), lambda: give(store, fund, 1)


def overfunded_project(store, fund):
    project = approved_project(store, fund, 8_000)
    give(store, fund, 3_000, channel="directed", project_id=project["id"])
    give(store, fund, 4_000)  # 7,000 in all: earmarked first, then general, is still short
    return (projects.fund, TREASURER, project["id"]), lambda: give(store, fund, 1_000)


def overspent_project(store, fund):
    give(store, fund, 9_000)
    project = approved_project(store, fund, 5_000)
    run(store, projects.fund, TREASURER, project["id"])
    run(store, projects.start, ADMIN, project["id"])
    spend = {"beneficiaries": 40, "actual_spend_fen": 5_001}
    # the 4,000 still available do not make up an overspent allocation
    return (projects.complete, TREASURER, project["id"], spend), None


def reversal_of_spent_donation(store, fund):
    donation = give(store, fund, 10_000)
    grant = approved_grant(store, fund, 8_000)
    run(store, grants.pay, TREASURER, grant["id"])
    undo = (funds.reverse, TREASURER, fund, donation["transaction_id"], reason())
    return undo, lambda: give(store, fund, 8_000)


def reversal_of_allocated_earmark(store, fund):
    project = approved_project(store, fund, 5_000)
    donation = give(store, fund, 5_000, channel="directed", project_id=project["id"])
    funded = run(store, projects.fund, TREASURER, project["id"])
    allocation = next(t for t in run(store, funds.ledger_view, fund) if t["kind"] == "allocation")
    assert funded["earmarked_fen"] == 0
    undo = (funds.reverse, TREASURER, fund, donation["transaction_id"], reason())
    # undo the allocation first, and the earmarked gift can go back
    return undo, lambda: run(store, funds.reverse, TREASURER, fund, allocation["id"], reason())


@pytest.mark.parametrize(
    "scenario",
    [
        overpaid_grant,
        overfunded_project,
        overspent_project,
        reversal_of_spent_donation,
        reversal_of_allocated_earmark,
    ],
)
def test_spending_more_than_there_is_is_a_conflict_that_writes_nothing(store, scenario):
    fund = open_fund(store)
    call, make_room = scenario(store, fund)
    before = everything(store, fund)

    error = refused(store, Conflict, *call)

    assert error.status == 409 and error.code == "conflict"
    assert "fen" in error.message, error.message  # says how much there is
    assert everything(store, fund) == before
    if make_room:  # with the money there, the very same call goes through
        make_room()
        run(store, *call)
        kept, summed = balances(store, fund)
        assert kept == summed
        assert all(v >= 0 for a, v in kept.items() if ledger.holds_money(a))


def test_a_spent_donation_can_be_reversed_once_the_money_is_back(store):
    fund = open_fund(store)
    first = give(store, fund, 10_000)
    grant = approved_grant(store, fund, 8_000, purpose="student_award")
    run(store, grants.pay, TREASURER, grant["id"])
    refused(store, Conflict, funds.reverse, TREASURER, fund, first["transaction_id"], reason())
    # the grant payment was the mistake: reversing it puts the 8,000 back
    paid = run(store, grants.get, TREASURER, grant["id"])
    reversal = run(store, funds.reverse, TREASURER, fund, paid["transaction_id"], reason())
    assert reversal["kind"] == "reversal" and reversal["reverses"] == paid["transaction_id"]
    assert run(store, grants.get, TREASURER, grant["id"])["status"] == "reversed"
    refused(store, Conflict, grants.pay, TREASURER, grant["id"])
    run(store, funds.reverse, TREASURER, fund, first["transaction_id"], reason())
    assert available(store, fund) == 0
    # a transaction is reversed once; a reversal itself is not reversed
    refused(store, Conflict, funds.reverse, TREASURER, fund, first["transaction_id"], reason())
    refused(store, Conflict, funds.reverse, TREASURER, fund, reversal["id"], reason())
    refused(store, NotFound, funds.reverse, TREASURER, fund, "no-such-transaction", reason())
    refused(store, Forbidden, funds.reverse, ADMIN, fund, first["transaction_id"], reason())
    refused(store, InvalidInput, funds.reverse, TREASURER, fund, first["transaction_id"], {})
    donations = run(store, funds.list_donations, TREASURER, fund)["items"]
    assert [d["reversed"] for d in donations] == [True]
    report = run(store, funds.report, fund)
    assert report["income_total_fen"] == 0 and report["spending_total_fen"] == 0
    assert report["donors"] == []


# -- 3. payments racing for the same money ------------------------------------------------


def test_twenty_five_grants_paid_at_once_from_money_for_seven_pay_seven(store):
    fund = open_fund(store)
    give(store, fund, 7 * 10_000 + 3_000)
    approved = [approved_grant(store, fund, 10_000)["id"] for _ in range(25)]

    outcomes, most_open = race(store, [(grants.pay, TREASURER, g) for g in approved])

    paid = [o for o in outcomes if isinstance(o, dict)]
    refusals = [o for o in outcomes if isinstance(o, Exception)]
    if store.engine.dialect.name == "postgresql":
        assert most_open > 1  # the payments really overlapped, queued on the balance row
    assert len(paid) == 7 and all(g["status"] == "paid" for g in paid)
    assert len(refusals) == 18 and all(isinstance(e, Conflict) for e in refusals)
    assert available(store, fund) == 3_000
    kept, _ = balances(store, fund)
    assert kept[ledger.spent_on_grant("emergency_relief")] == 70_000
    statuses = [run(store, grants.get, TREASURER, g)["status"] for g in approved]
    assert sorted(statuses) == ["approved"] * 18 + ["paid"] * 7
    assert len(published(store, "grant_paid")) == 7
    kinds = [t["kind"] for t in run(store, funds.ledger_view, fund)]
    assert kinds.count("grant_payment") == 7


def test_grants_and_project_fundings_racing_for_one_purse_never_overdraw_it(store):
    fund = open_fund(store)
    give(store, fund, 50_000)
    grants_ = [approved_grant(store, fund, 7_000)["id"] for _ in range(20)]
    projects_ = [approved_project(store, fund, 20_000)["id"] for _ in range(4)]
    calls = [(grants.pay, TREASURER, g) for g in grants_]
    calls += [(projects.fund, TREASURER, p) for p in projects_]

    outcomes, _ = race(store, calls)

    assert all(isinstance(o, dict | Conflict) for o in outcomes), outcomes
    paid = sum(isinstance(o, dict) for o in outcomes[:20])
    funded = sum(isinstance(o, dict) for o in outcomes[20:])
    left = 50_000 - 7_000 * paid - 20_000 * funded
    # a refused grant found less than 7,000 left, and the purse only shrinks
    assert 0 <= left < 7_000
    assert available(store, fund) == left
    kept, _ = balances(store, fund)
    assert sum(v for a, v in kept.items() if a.startswith("project:")) == 20_000 * funded


def test_the_same_correction_sent_three_times_at_once_is_booked_once(store, monkeypatch):
    fund = open_fund(store)
    mistake = give(store, fund, 5_000)
    give(store, fund, 20_000)  # enough that only the rule "reversed once" stands in the way
    slowed(monkeypatch, "reversal")
    undo = (funds.reverse, TREASURER, fund, mistake["transaction_id"], reason())

    outcomes, _ = race(store, [undo] * 3)

    assert sum(isinstance(o, dict) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, Conflict) for o in outcomes) == 2
    assert available(store, fund) == 20_000
    kinds = [t["kind"] for t in run(store, funds.ledger_view, fund)]
    assert kinds == ["donation", "donation", "reversal"]


def test_funding_one_project_three_times_at_once_allocates_its_budget_once(store, monkeypatch):
    fund = open_fund(store)
    give(store, fund, 100_000)
    project = approved_project(store, fund, 30_000)
    slowed(monkeypatch, "allocation")

    outcomes, _ = race(store, [(projects.fund, TREASURER, project["id"])] * 3)

    assert sum(isinstance(o, dict) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, Conflict) for o in outcomes) == 2
    assert available(store, fund) == 70_000
    kept, _ = balances(store, fund)
    assert kept[ledger.allocated(project["id"])] == 30_000
    assert len(published(store, "project_funded")) == 1


# -- 4. money history is append-only in the database itself ---------------------------------


def test_the_database_refuses_to_rewrite_or_delete_money_history(store):
    fund = open_fund(store)
    give(store, fund, 30_000, donor_name="张三", show_name=True)
    give(store, fund, 12_000, channel="leading")
    run(store, grants.pay, TREASURER, approved_grant(store, fund, 5_000)["id"])

    def history():
        with store.engine.connect() as connection:
            return {
                table: connection.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all()
                for table in ("ledger_transactions", "ledger_entries", "donations")
            }

    before = history()
    assert [len(before[t]) for t in before] == [3, 6, 2]
    for statement in (
        "UPDATE ledger_entries SET amount = amount * 100",
        "UPDATE ledger_entries SET account = 'available' WHERE amount < 0",
        "DELETE FROM ledger_entries",
        "DELETE FROM ledger_entries WHERE amount = 5000",
        "UPDATE ledger_transactions SET memo = 'rewritten'",
        "UPDATE ledger_transactions SET reverses_id = id",
        "DELETE FROM ledger_transactions WHERE kind = 'grant_payment'",
        "UPDATE donations SET amount = 1",
        "UPDATE donations SET donor_name = NULL, show_name = false",
        "DELETE FROM donations",
    ):
        with pytest.raises(DBAPIError, match="append-only"):
            with store.engine.begin() as connection:
                connection.execute(text(statement))
    assert history() == before
    assert available(store, fund) == 37_000


# -- 5. an Idempotency-Key makes a retried donation one donation ------------------------------


@pytest.fixture
def funding_service(database_url, container_factory, test_config):
    """The funding service itself, over this test's RabbitMQ vhost and database."""
    config = {**test_config, "DATABASE_URL": database_url, "max_workers": 50}
    container = container_factory(FundingService, config)
    container.start()
    return get_extension(container, Database).store


def donation_count(store, fund):
    with store.reading() as session:
        return session.scalar(
            select(func.count()).select_from(Donation).where(Donation.fund_id == fund)
        )


GIFT = {"channel": "caring", "amount_fen": 36_000, "donor_name": "王记超市", "show_name": True}


def test_a_donation_retried_with_its_key_is_recorded_once_and_answers_the_same(
    funding_service, test_config
):
    fund = open_fund(funding_service)
    with ServiceRpcProxy("funding", test_config, timeout=20) as rpc:
        first = rpc.donate(TREASURER, fund, GIFT, idempotency_key="gift-0001")
        again = rpc.donate(TREASURER, fund, dict(reversed(GIFT.items())), "gift-0001")
        assert again == first
        assert donation_count(funding_service, fund) == 1

        with pytest.raises(Conflict) as raised:  # the same key, another gift
            rpc.donate(TREASURER, fund, {**GIFT, "amount_fen": 3_600}, "gift-0001")
        assert raised.value.status == 409 and "Idempotency-Key" in raised.value.fields
        with pytest.raises(Conflict):  # the same gift to another fund is another request
            rpc.donate(TREASURER, open_fund(funding_service), GIFT, "gift-0001")
        with pytest.raises(InvalidInput):
            rpc.donate(TREASURER, fund, GIFT, "x" * 201)
        assert donation_count(funding_service, fund) == 1

        # a refused request records no key: the key is free for the corrected request
        with pytest.raises(NotFound):
            rpc.donate(TREASURER, fund, {**GIFT, "project_id": "no-such-project"}, "gift-0002")
        second = rpc.donate(TREASURER, fund, GIFT, "gift-0002")
        assert second["id"] != first["id"]
        assert rpc.donate(TREASURER, fund, GIFT, " gift-0002 ") == second  # spaces trimmed
        without_key = rpc.donate(TREASURER, fund, GIFT)
        assert without_key["id"] not in (first["id"], second["id"])
        assert rpc.get_fund(TREASURER, fund)["available_fen"] == 3 * 36_000
        ledger_rows = rpc.ledger(fund)["items"]
    assert donation_count(funding_service, fund) == 3
    assert [t["kind"] for t in ledger_rows] == ["donation"] * 3
    assert len(published(funding_service, "donation_received")) == 3


def test_fifty_requests_at_once_with_one_key_make_one_donation(
    funding_service, test_config, monkeypatch
):
    fund = open_fund(funding_service)
    donated = []  # donations made before the key was recorded, committed or not
    record = idempotency.remember

    def remember(tx, principal, key, request, answer):
        donated.append(answer["id"])
        if len(donated) == 1:
            eventlet.sleep(0.2)  # the first stays uncommitted a while: the rest arrive meanwhile
        return record(tx, principal, key, request, answer)

    monkeypatch.setattr(idempotency, "remember", remember)
    with ServiceRpcProxy("funding", test_config, timeout=60) as rpc:
        replies = [
            rpc.donate.call_async(TREASURER, fund, GIFT, idempotency_key="gift-at-once")
            for _ in range(50)
        ]
        answers = [reply.result() for reply in replies]
        position = rpc.get_fund(TREASURER, fund)

    if funding_service.engine.dialect.name == "postgresql":
        assert len(donated) > 1  # several really raced; all but one rolled back
    else:
        assert len(donated) == 1  # SQLite: one at a time, the rest replayed
    assert len({a["id"] for a in answers}) == 1
    assert all(a == answers[0] for a in answers)
    assert answers[0]["amount_fen"] == 36_000 and answers[0]["fund_id"] == fund
    assert donation_count(funding_service, fund) == 1
    assert position["available_fen"] == 36_000
    kept, summed = balances(funding_service, fund)
    assert kept == summed == {"available": 36_000, "income:caring": -36_000}
    assert len(published(funding_service, "donation_received")) == 1


# -- the public report and the ledger CSV -----------------------------------------------------


def test_the_public_report_names_only_donors_who_agreed_and_counts_what_stands(store):
    fund = open_fund(store)
    project = approved_project(store, fund, 30_000, title="适老化改造")
    give(
        store,
        fund,
        300_000_000,
        channel="directed",
        project_id=project["id"],
        donor_kind="member_org",
        donor_name="包头供电公司",
        show_name=True,
    )
    give(store, fund, 2_000, donor_name="张三丰")  # did not agree to be named
    give(store, fund, 500, channel="mutual_aid")  # anonymous
    give(store, fund, 1_000, channel="leading", donor_name="李书记", show_name=True)
    mistake = give(store, fund, 99_900, channel="public_welfare", donor_name="王五")
    run(store, funds.reverse, TREASURER, fund, mistake["transaction_id"], reason())
    for gift in (
        {"description": "交通锥", "quantity": 300, "valuation_fen": 300_000},
        {"description": "护眼卡", "quantity": 100, "valuation_fen": 3_600_000},
    ):
        run(store, funds.register_in_kind, TREASURER, fund, gift)
    run(store, grants.pay, TREASURER, approved_grant(store, fund, 1_200, "elderly_support")["id"])
    run(store, projects.fund, TREASURER, project["id"])

    report = run(store, funds.report, fund)

    assert report["income_by_channel"] == {
        "directed": 300_000_000,
        "caring": 2_000,
        "public_welfare": 0,
        "leading": 1_000,
        "mutual_aid": 500,
    }
    assert report["income_total_fen"] == 300_003_500
    assert report["in_kind_total_fen"] == 3_900_000
    assert [g["donor_name"] for g in report["in_kind"]] == [funds.ANONYMOUS] * 2
    assert report["spending_by_purpose"]["elderly_support"] == 1_200
    assert report["spending_total_fen"] == 1_200
    assert report["available_fen"] == 2_300
    assert report["earmarked_fen"] == 300_000_000 - 30_000
    assert report["allocated_fen"] == 30_000
    assert [(d["name"], d["amount_fen"]) for d in report["donors"]] == [
        ("包头供电公司", 300_000_000),
        ("张**", 2_000),
        (funds.ANONYMOUS, 500),
        ("李书记", 1_000),
    ]
    assert "王五" not in str(report) and "张三丰" not in str(report)
    assert report["projects"] == [
        {
            "id": project["id"],
            "title": "适老化改造",
            "status": "funded",
            "budget_fen": 30_000,
            "funded_fen": 30_000,
            "spent_fen": None,
            "beneficiaries": 300,
        }
    ]
    # the treasurer sees who gave; a resident may not list donors
    donors = run(store, funds.list_donations, TREASURER, fund)["items"]
    assert {d["donor_name"] for d in donors} >= {
        "张三丰",
        "王五",
    }
    refused(store, Forbidden, funds.list_donations, RESIDENT, fund)
    refused(store, NotFound, funds.report, "no-such-fund")


def test_the_ledger_csv_has_every_entry_and_balances_to_zero(store):
    fund = open_fund(store)
    give(store, fund, 12_345, donor_name="赵六")
    run(store, grants.pay, TREASURER, approved_grant(store, fund, 2_345)["id"])

    rows = list(csv.DictReader(io.StringIO(run(store, funds.ledger_csv, fund))))

    assert list(rows[0]) == list(funds.CSV_COLUMNS)
    assert [(r["kind"], r["account"], r["amount_fen"], r["amount_yuan"]) for r in rows] == [
        ("donation", "income:caring", "-12345", "-123.45"),
        ("donation", "available", "12345", "123.45"),
        ("grant_payment", "available", "-2345", "-23.45"),
        ("grant_payment", "spent:grant:emergency_relief", "2345", "23.45"),
    ]
    assert sum(int(r["amount_fen"]) for r in rows) == 0
    assert "赵*" in rows[0]["memo"] and "赵六" not in rows[0]["memo"]


def test_only_the_funds_treasurers_book_money_in_and_only_good_input(store):
    fund = open_fund(store)
    data = {"channel": "caring", "amount_fen": 100}
    for outsider in (ADMIN, WORKER, RESIDENT, OTHER_TREASURER):
        refused(store, Forbidden, funds.donate, outsider, fund, data)
    gift = {"description": "交通锥", "valuation_fen": 300_000}
    refused(store, Forbidden, funds.register_in_kind, ADMIN, fund, gift)
    refused(store, NotFound, funds.donate, TREASURER, "no-such-fund", data)
    for bad in (
        {**data, "amount_fen": 0},
        {**data, "amount_fen": -100},
        {**data, "amount_fen": 1.5},
        {**data, "amount_fen": "100"},
        {**data, "amount_fen": True},
        {**data, "amount_fen": contract.MAX_FEN + 1},
        {**data, "channel": "lottery"},
        {"channel": "directed", "amount_fen": 100},  # a directed gift names its project
        {**data, "donor_kind": "person"},  # a named kind without a name
    ):
        refused(store, InvalidInput, funds.donate, TREASURER, fund, bad)
    refused(store, NotFound, funds.donate, TREASURER, fund, {**data, "project_id": "nope"})
    # an earmark for a project that another fund finances is refused
    project = new_project(store, open_fund(store))
    refused(store, Conflict, funds.donate, TREASURER, fund, {**data, "project_id": project["id"]})
    assert give(store, fund, 100, by=SECOND_TREASURER)["amount_fen"] == 100
    assert available(store, fund) == 100
    assert [t["kind"] for t in run(store, funds.ledger_view, fund)] == ["donation"]


def test_five_admins_opening_the_same_fund_at_once_open_it_once(store, monkeypatch):
    data = {"name": "海威社区共建实践金", "community_id": "community-1"}
    position = ledger.fund_position

    def slowly(session, fund_id):  # after the insert, before the commit
        eventlet.sleep(0.2)
        return position(session, fund_id)

    monkeypatch.setattr(ledger, "fund_position", slowly)

    outcomes, most_open = race(store, [(funds.create_fund, ADMIN, data, STREET)] * 5)

    if store.engine.dialect.name == "postgresql":
        assert most_open > 1
    assert sum(isinstance(o, dict) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, Conflict) for o in outcomes) == 4
    assert len(run(store, funds.list_funds, RESIDENT, "community-1")) == 1


def test_a_fund_is_opened_by_an_admin_of_its_community_once_by_name(store):
    data = {"name": "海威社区共建实践金", "community_id": "community-1"}
    for outsider in (TREASURER, WORKER, RESIDENT, OTHER_ADMIN):
        refused(store, Forbidden, funds.create_fund, outsider, data, STREET)
    refused(store, InvalidInput, funds.create_fund, ADMIN, {"name": "x"}, STREET)
    both = {**data, "street_id": STREET}
    refused(store, InvalidInput, funds.create_fund, ADMIN, both, STREET)
    opened = run(store, funds.create_fund, ADMIN, data, STREET)
    assert (opened["available_fen"], opened["earmarked_fen"], opened["allocated_fen"]) == (0, 0, 0)
    assert opened["street_id"] == STREET
    refused(store, Conflict, funds.create_fund, ADMIN, data, STREET)
    assert [f["id"] for f in run(store, funds.list_funds, RESIDENT, "community-1")] == [
        opened["id"]
    ]
