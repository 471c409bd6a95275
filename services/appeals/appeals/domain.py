"""The appeal's lifecycle as a state machine, in plain Python.

submitted → dispatched → claimed → resolved → closed (rated 3 or more);
a rating of 2 or lower reopens it (重办) to its handler; rejected with a
reason; withdrawn by the submitter; escalated one level (grid → community →
street → department), which puts it back in the new level's queue; returned
(退单) by its assignee to the grid's queue.
"""

from dataclasses import dataclass
from datetime import timedelta

from yzw_kernel.errors import Conflict, InvalidInput

STATUSES = ("submitted", "dispatched", "claimed", "resolved", "closed", "rejected", "withdrawn")
OPEN = ("submitted", "dispatched", "claimed")
FINAL = ("closed", "rejected", "withdrawn")
LEVELS = ("grid", "community", "street", "department")
CATEGORIES = (
    "legacy",  # 遗留问题
    "infrastructure",  # 基础设施
    "daily",  # 日常发现
    "dispute",  # 矛盾纠纷
    "sanitation",
    "safety",
    "greening_lighting",
    "parking",
    "assistance",  # 帮扶
    "property_service",
    "other",
)
SOURCES = ("resident_app", "visit", "patrol", "hotline")
ASSIGNEE_KINDS = ("person", "volunteer_team", "member_org", "department")
REOPEN_AT_OR_BELOW = 2
SATISFIED_AT_OR_ABOVE = 4

# action → (statuses it may start from, status it leads to)
TRANSITIONS = {
    "dispatch": (("submitted", "dispatched"), "dispatched"),
    "claim": (("submitted", "dispatched"), "claimed"),
    "resolve": (("claimed",), "resolved"),
    "close": (("resolved",), "closed"),
    "reopen": (("resolved",), "dispatched"),
    "reject": (("submitted", "dispatched"), "rejected"),
    "withdraw": (("submitted", "dispatched", "claimed"), "withdrawn"),
    "escalate": (("submitted", "dispatched", "claimed"), "submitted"),
    "return": (("dispatched", "claimed"), "submitted"),
    "requeue": (("dispatched", "claimed"), "submitted"),
    "resolve_by_project": (("submitted", "dispatched", "claimed"), "resolved"),
}
# Every (from, to) pair the machine can ever take.
EDGES = {(start, end) for starts, end in TRANSITIONS.values() for start in starts}


@dataclass
class Step:
    """One timeline entry, produced by a transition."""

    action: str
    from_status: str | None
    to_status: str
    actor_id: str | None
    note: str = ""


def _move(appeal, action, actor_id, note=""):
    starts, end = TRANSITIONS[action]
    if appeal.status not in starts:
        raise Conflict(
            f"cannot {action.replace('_', ' ')} an appeal that is {appeal.status}",
            {"status": [f"is {appeal.status}; {action} needs {' or '.join(starts)}"]},
        )
    step = Step(action, appeal.status, end, actor_id, note)
    appeal.status = end
    return step


def submitted(appeal, actor_id, note=""):
    appeal.status = "submitted"
    appeal.level = "grid"
    return Step("submit", None, "submitted", actor_id, note)


def dispatch(appeal, actor_id, assignee_kind, assignee_id, note=""):
    if assignee_kind not in ASSIGNEE_KINDS:
        raise InvalidInput("unknown kind of assignee", {"assignee_kind": list(ASSIGNEE_KINDS)})
    step = _move(appeal, "dispatch", actor_id, note or f"to {assignee_kind} {assignee_id}")
    appeal.assignee_kind, appeal.assignee_id = assignee_kind, assignee_id
    appeal.handler_id = None
    return step


def claim(appeal, person_id):
    step = _move(appeal, "claim", person_id)
    appeal.handler_id = person_id
    if appeal.assignee_kind in (None, "person"):
        appeal.assignee_kind, appeal.assignee_id = "person", person_id
    return step


def resolve(appeal, person_id, resolution):
    if not resolution or not resolution.strip():
        raise InvalidInput("say how it was resolved", {"resolution": ["required"]})
    step = _move(appeal, "resolve", person_id, resolution)
    appeal.resolution = resolution
    return step


def rate(appeal, person_id, score, comment=""):
    """Close on 3 or more; reopen (重办) to the same handler on 2 or lower."""
    if not 1 <= score <= 5:
        raise InvalidInput("a rating is 1 to 5", {"score": ["1 to 5"]})
    note = f"rated {score}: {comment}".strip(": ")
    if score <= REOPEN_AT_OR_BELOW:
        step = _move(appeal, "reopen", person_id, note)
        # to its handler; resolved by a project with nobody handling it, to the queue
        appeal.assignee_kind = "person" if appeal.handler_id else None
        appeal.assignee_id = appeal.handler_id
    else:
        step = _move(appeal, "close", person_id, note)
    appeal.rating, appeal.rating_comment = score, comment  # only once the move is allowed
    return step


def reject(appeal, actor_id, reason):
    if not reason or not reason.strip():
        raise InvalidInput("say why it is rejected", {"reason": ["required"]})
    return _move(appeal, "reject", actor_id, reason)


def withdraw(appeal, person_id, note=""):
    return _move(appeal, "withdraw", person_id, note)


def next_level(level):
    index = LEVELS.index(level)
    if index + 1 == len(LEVELS):
        return None
    return LEVELS[index + 1]


def escalate(appeal, actor_id, reason):
    """Up one level, into that level's queue (小事不出网格、大事不出社区)."""
    higher = next_level(appeal.level)
    if higher is None:
        raise Conflict("the appeal is already with the departments; it cannot go higher")
    step = _move(appeal, "escalate", actor_id, f"{appeal.level} → {higher}: {reason}".strip(": "))
    appeal.level = higher
    _clear_assignee(appeal)
    return step


def return_to_queue(appeal, person_id, reason):
    """退单: the assignee hands it back to the grid's queue, with a reason."""
    if not reason or not reason.strip():
        raise InvalidInput("say why it is returned", {"reason": ["required"]})
    step = _move(appeal, "return", person_id, reason)
    _clear_assignee(appeal)
    return step


def requeue(appeal, note):
    """The assignee lost their role in the grid: back to the grid's queue."""
    step = _move(appeal, "requeue", None, note)
    _clear_assignee(appeal)
    return step


def resolve_by_project(appeal, note):
    step = _move(appeal, "resolve_by_project", None, note)
    appeal.resolution = note
    return step


def _clear_assignee(appeal):
    appeal.assignee_kind = appeal.assignee_id = appeal.handler_id = None


def deadline_for(category, level, config, since):
    """When an appeal at `level` must be done: hours from config, per category and level."""
    hours = deadline_hours(category, level, config)
    return since + timedelta(hours=hours)


def deadline_hours(category, level, config):
    by_category = config.get("by_category", {})
    base = float(by_category.get(category, config.get("default_hours", 72)))
    factor = float(config.get("level_factor", {}).get(level, 1))
    return base * factor


def is_overdue(appeal, now):
    return appeal.status in OPEN and appeal.deadline_at is not None and appeal.deadline_at < now


def voting_outcome(options, votes, eligible, quorum_share):
    """The result of a vote: counts per option, and decided, tie or no quorum."""
    counts = {option: 0 for option in options}
    for option in votes:
        counts[option] += 1
    cast = sum(counts.values())
    if eligible == 0 or cast < quorum_share * eligible:
        return {"outcome": "no_quorum", "winner": None, "counts": counts}
    top = max(counts.values())
    leaders = [option for option, n in counts.items() if n == top]
    if len(leaders) > 1:
        return {"outcome": "tie", "winner": None, "counts": counts}
    return {"outcome": "decided", "winner": leaders[0], "counts": counts}
