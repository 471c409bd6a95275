"""Rules of the grid, in plain Python: roles, the party tree, the duty roster, masking,
failed logins and their delays."""

import math
import re
from datetime import timedelta

from yzw_kernel.errors import Conflict, InvalidInput

# What each level of the place tree is called; a rural town renames them
# (镇 → 村 → 村民小组 ...) as data, not code.
DEFAULT_LEVEL_NAMES = {
    "street": "街道",
    "community": "社区",
    "estate": "小区",
    "grid": "网格",
    "building": "楼栋",
    "unit": "单元",
    "household": "户",
}


def level_names(overrides):
    """The default names with a street's own names laid over them."""
    unknown = sorted(set(overrides) - set(DEFAULT_LEVEL_NAMES))
    if unknown:
        raise InvalidInput(
            "unknown levels: " + ", ".join(unknown),
            {"level_names": [f"levels are {', '.join(DEFAULT_LEVEL_NAMES)}"]},
        )
    return {**DEFAULT_LEVEL_NAMES, **overrides}


# Which kind of party organisation may hang under which.
PARTY_ORG_PARENTS = {
    "community_committee": (None,),
    "grid_branch": ("community_committee",),
    "functional_branch": ("community_committee",),
    "building_group": ("grid_branch",),
    "central_household": ("building_group",),
    "action_group": ("community_committee", "grid_branch", "functional_branch"),
}

# Roles held by one person per grid at most (一格一人 for the worker; the
# grid leader is one per grid but one person may lead many grids, 一人多格).
SINGLE_HOLDER_ROLES = {
    "grid_worker": "this grid already has a full-time grid worker (一格一人)",
    "grid_leader": "this grid already has a grid leader",
}

STAFF_ORDER = (
    "grid_worker",
    "grid_leader",
    "building_head",
    "unit_head",
    "department_member",
    "party_liaison",
    "red_steward",
    "central_household",
)


def check_grid_role(role, roles_held_in_grid, person_already_has_it):
    """Refuse a role assignment that breaks the ABC rules."""
    if person_already_has_it:
        raise Conflict(f"the person already holds {role} in this grid")
    if role in SINGLE_HOLDER_ROLES and role in roles_held_in_grid:
        raise Conflict(SINGLE_HOLDER_ROLES[role], {"role": [SINGLE_HOLDER_ROLES[role]]})


# B roles (一格多员) head one building or one unit of the grid.
SCOPED_ROLES = {"building_head": "building_id", "unit_head": "unit_id"}


def role_scope(role, building_id, unit_id):
    """The place a role is scoped to, as (field, id); ("", "") for grid-wide roles."""
    given = {"building_id": building_id, "unit_id": unit_id}
    wanted = SCOPED_ROLES.get(role)
    for field, value in given.items():
        if field != wanted and value:
            raise InvalidInput(f"{role} takes no {field}", {field: [f"not for {role}"]})
    if wanted is None:
        return "", ""
    if not given[wanted]:
        raise InvalidInput(f"say which {wanted[:-3]} the {role} heads", {wanted: ["required"]})
    return wanted, given[wanted]


def role_view(grid_id, person_id, role, scope_id):
    field = SCOPED_ROLES.get(role)
    return {
        "grid_id": grid_id,
        "person_id": person_id,
        "role": role,
        "building_id": scope_id if field == "building_id" else None,
        "unit_id": scope_id if field == "unit_id" else None,
    }


def check_party_parent(kind, parent_kind):
    allowed = PARTY_ORG_PARENTS[kind]
    if parent_kind not in allowed:
        wanted = " or ".join("no parent" if k is None else k for k in allowed)
        raise InvalidInput(
            f"a {kind} belongs under {wanted}",
            {"parent_id": [f"a {kind} belongs under {wanted}"]},
        )


def duty_months(slot):
    """双月轮值: slot 1 convenes in January and February, slot 6 in November and December."""
    return [2 * slot - 1, 2 * slot]


def duty_slot_for_month(month):
    return (month + 1) // 2


def check_duty_roster(member_org_ids):
    if len(member_org_ids) != 6:
        raise InvalidInput("a year has six duty members", {"member_org_ids": ["give exactly six"]})
    if len(set(member_org_ids)) != 6:
        raise InvalidInput(
            "each member organisation is on duty once a year",
            {"member_org_ids": ["six different member organisations"]},
        )


def mask_phone(phone):
    """138****0003: enough to recognise, not enough to call."""
    if len(phone) <= 7:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def whole_phone(text):
    """The mobile number `text` spells in full (spaces, hyphens and a +86 allowed),
    or None. A search matches a phone only on this: a part of a number would match
    on the digits that masking hides, and give them away one at a time."""
    digits = re.sub(r"[\s-]", "", text)
    digits = re.sub(r"^(\+|00)86", "", digits)
    return digits if re.fullmatch(r"1[0-9]{10}", digits) else None


def staff_sort_key(role):
    return STAFF_ORDER.index(role) if role in STAFF_ORDER else len(STAFF_ORDER)


def login_retry_after(recent_failures, limit, window, now):
    """Seconds before another login is considered, or 0 when it may go ahead.

    `recent_failures` are the times of the latest failures within `window`,
    newest first. Once `limit` of them fall within the window, logins wait
    until the oldest of those `limit` leaves it: a sliding window, so a steady
    trickle of guesses never gets more than `limit` per window.
    """
    if limit < 1 or len(recent_failures) < limit:
        return 0
    remaining = (recent_failures[limit - 1] + window - now).total_seconds()
    return max(0, math.ceil(remaining))


def login_delay(failures, newest, free, delay, max_delay, now):
    """Seconds a stranger waits before trying a phone again, or 0 when they may.

    `failures` failed logins for the phone lately, the newest at `newest`. The first
    `free` cost nothing; after them each attempt waits `delay` seconds from the
    newest failure, doubling with each failure beyond them, at most `max_delay`: so
    5 free, then 30 s, 60 s, 120 s ... 900 s apart with the defaults.
    """
    if failures < free or newest is None:
        return 0
    wait = min(max_delay, delay * 2 ** min(failures - free, 64))
    remaining = (newest + timedelta(seconds=wait) - now).total_seconds()
    return max(0, math.ceil(remaining))
