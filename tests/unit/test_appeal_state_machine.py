"""The appeal's state machine (appeals/domain.py) driven by random command sequences.

Hypothesis plays dispatch, claim, resolve, rate, reject, withdraw, escalate,
return, requeue and resolve-by-project on a plain object, with good and bad
input, in any order. After every command: the status and level are known
ones; a taken transition is an edge of the machine and the command was
allowed from where it started; a refused command (Conflict, InvalidInput)
left the appeal exactly as it was; a final status never moves again; a
claimed appeal has a handler; and nothing rests with a person nobody is.
"""

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from appeals import domain
from yzw_kernel.errors import Conflict, InvalidInput

PEOPLE = st.sampled_from(["worker", "member", "head", "staff"])
KINDS = st.sampled_from([*domain.ASSIGNEE_KINDS, "robot"])  # "robot" is not a kind
TEXT = st.sampled_from(["", "   ", "已处理", "换了整条线路"])
SCORES = st.integers(min_value=0, max_value=6)  # 0 and 6 are out of range

FIELDS = (
    "status",
    "level",
    "assignee_kind",
    "assignee_id",
    "handler_id",
    "resolution",
    "rating",
    "rating_comment",
)


class PlainAppeal:
    """Only what the state machine reads and writes: no database, no ORM."""

    def __init__(self):
        for name in FIELDS:
            setattr(self, name, None)

    def snapshot(self):
        return {name: getattr(self, name) for name in FIELDS}


class AppealMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.appeal = PlainAppeal()
        step = domain.submitted(self.appeal, "resident")
        assert (step.from_status, step.to_status) == (None, "submitted")
        self.finished_as = None  # the final status, once reached
        self.steps = 0

    # -- one command, checked the same way whatever it is ------------------------

    def play(self, action, command, *args, valid_input=True):
        before = self.appeal.snapshot()
        try:
            step = command(self.appeal, *args)
        except (Conflict, InvalidInput) as refusal:
            assert self.appeal.snapshot() == before, f"refused {action} changed the appeal"
            if isinstance(refusal, Conflict):
                assert not self.allowed(action, before), f"{action} refused from {before}"
            else:
                assert not valid_input
            return None
        assert valid_input, f"{action} took bad input"
        assert self.allowed(action, before), f"{action} from {before['status']} was taken"
        assert step.action == action
        assert (step.from_status, step.to_status) == (before["status"], self.appeal.status)
        assert (step.from_status, step.to_status) in domain.EDGES
        self.steps += 1
        return before

    def allowed(self, action, state):
        starts, _ = domain.TRANSITIONS[action]
        if action == "escalate" and domain.next_level(state["level"]) is None:
            return False
        return state["status"] in starts

    # -- the commands ------------------------------------------------------------

    @rule(actor=PEOPLE, kind=KINDS, assignee=PEOPLE)
    def dispatch(self, actor, kind, assignee):
        before = self.play(
            "dispatch",
            domain.dispatch,
            actor,
            kind,
            assignee,
            valid_input=kind in domain.ASSIGNEE_KINDS,
        )
        if before is not None:
            assert (self.appeal.assignee_kind, self.appeal.assignee_id) == (kind, assignee)
            assert self.appeal.handler_id is None

    @rule(person=PEOPLE)
    def claim(self, person):
        if self.play("claim", domain.claim, person) is not None:
            assert self.appeal.handler_id == person

    @rule(person=PEOPLE, resolution=TEXT)
    def resolve(self, person, resolution):
        valid = bool(resolution.strip())
        if self.play("resolve", domain.resolve, person, resolution, valid_input=valid):
            assert self.appeal.resolution == resolution

    @rule(score=SCORES, comment=TEXT)
    def rate(self, score, comment):
        action = "reopen" if score <= domain.REOPEN_AT_OR_BELOW else "close"
        valid = 1 <= score <= 5
        before = self.play(action, domain.rate, "resident", score, comment, valid_input=valid)
        if before is not None:
            assert (self.appeal.rating, self.appeal.rating_comment) == (score, comment)
            if action == "reopen":  # 重办: back to whoever handled it
                assert self.appeal.handler_id == before["handler_id"]

    @rule(actor=PEOPLE, reason=TEXT)
    def reject(self, actor, reason):
        self.play("reject", domain.reject, actor, reason, valid_input=bool(reason.strip()))

    @rule(note=TEXT)
    def withdraw(self, note):
        self.play("withdraw", domain.withdraw, "resident", note)

    @rule(actor=st.one_of(st.none(), PEOPLE), reason=TEXT)
    def escalate(self, actor, reason):
        before = self.play("escalate", domain.escalate, actor, reason)
        if before is not None:
            assert (
                domain.LEVELS.index(self.appeal.level) == domain.LEVELS.index(before["level"]) + 1
            )
            assert self.appeal.assignee_id is None and self.appeal.handler_id is None

    @rule(person=PEOPLE, reason=TEXT)
    def return_to_queue(self, person, reason):
        valid = bool(reason.strip())
        if self.play("return", domain.return_to_queue, person, reason, valid_input=valid):
            assert self.appeal.assignee_kind is None and self.appeal.handler_id is None

    @rule()
    def requeue(self):
        if self.play("requeue", domain.requeue, "role revoked"):
            assert self.appeal.assignee_kind is None and self.appeal.handler_id is None

    @rule()
    def resolve_by_project(self):
        self.play("resolve_by_project", domain.resolve_by_project, "resolved by project p-1")

    # -- what must hold after every command ----------------------------------------

    @invariant()
    def known_status_and_level(self):
        assert self.appeal.status in domain.STATUSES
        assert self.appeal.level in domain.LEVELS

    @invariant()
    def a_final_status_never_moves(self):
        if self.finished_as is not None:
            assert self.appeal.status == self.finished_as
        elif self.appeal.status in domain.FINAL:
            self.finished_as = self.appeal.status

    @invariant()
    def a_claimed_appeal_has_a_handler(self):
        if self.appeal.status == "claimed":
            assert self.appeal.handler_id is not None

    @invariant()
    def an_appeal_with_a_person_names_them(self):
        if self.appeal.assignee_kind is not None:
            assert self.appeal.assignee_id is not None

    @precondition(lambda self: self.appeal.status in domain.FINAL)
    @rule()
    def everything_is_refused_once_final(self):
        for action, command, args in (
            ("dispatch", domain.dispatch, ("staff", "person", "worker")),
            ("claim", domain.claim, ("worker",)),
            ("resolve", domain.resolve, ("worker", "done")),
            ("close", domain.rate, ("resident", 5)),
            ("reopen", domain.rate, ("resident", 1)),
            ("reject", domain.reject, ("staff", "no")),
            ("withdraw", domain.withdraw, ("resident",)),
            ("escalate", domain.escalate, (None, "overdue")),
            ("return", domain.return_to_queue, ("worker", "not mine")),
            ("requeue", domain.requeue, ("role revoked",)),
            ("resolve_by_project", domain.resolve_by_project, ("project done",)),
        ):
            assert self.play(action, command, *args) is None, f"{action} moved a final appeal"


AppealMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestAppealStateMachine = AppealMachine.TestCase


def test_the_machine_reaches_every_status_and_level():
    """The random walks above are not idle: each status and level is reachable."""
    appeal = PlainAppeal()
    domain.submitted(appeal, "resident")
    seen = {appeal.status}
    for _ in domain.LEVELS[1:]:
        domain.escalate(appeal, None, "overdue")
    assert appeal.level == domain.LEVELS[-1]
    domain.dispatch(appeal, "staff", "department", "d-1")
    seen.add(appeal.status)
    domain.claim(appeal, "officer")
    seen.add(appeal.status)
    domain.resolve(appeal, "officer", "done")
    seen.add(appeal.status)
    domain.rate(appeal, "resident", 5)
    seen.add(appeal.status)
    for end in (domain.reject, domain.withdraw):
        other = PlainAppeal()
        domain.submitted(other, "resident")
        end(other, "someone", "because")
        seen.add(other.status)
    assert seen == set(domain.STATUSES)
