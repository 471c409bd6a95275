"""Who may act on an appeal, decided from the principal grid gave the gateway."""

from yzw_kernel.errors import Forbidden


def is_level_staff(principal, appeal):
    """Staff of the level the appeal is at: the grid's, the community's, the street's."""
    if appeal.level == "grid":
        return principal.is_grid_staff(appeal.grid_id, appeal.community_id, appeal.street_id)
    if appeal.level == "community":
        return principal.is_community_admin(appeal.community_id, appeal.street_id)
    # street and department: the street office, where the departments report (街道吹哨、部门报到)
    return principal.is_street_admin(appeal.street_id)


def is_staff(principal, appeal):
    """Anyone staffing the appeal at its level or below it."""
    return is_level_staff(principal, appeal) or principal.is_grid_staff(
        appeal.grid_id, appeal.community_id, appeal.street_id
    )


def is_handler(principal, appeal):
    return principal.id in (appeal.handler_id, _person_assignee(appeal))


def _person_assignee(appeal):
    return appeal.assignee_id if appeal.assignee_kind == "person" else None


def may_claim(principal, appeal):
    """The person it was dispatched to; for a queue, a team, an organisation or a
    department, those who may compete for it (党员接单 among them)."""
    if appeal.assignee_kind == "person":
        return appeal.assignee_id == principal.id
    return may_compete_for(principal, appeal)


def may_compete_for(principal, appeal):
    """Those who may take appeals from its queue at all: at the grid, the grid's staff
    and, unless the appeal is confidential, the community's party members; above it,
    the level's own staff. They see a claim they lost, to be told it was lost."""
    if appeal.level != "grid":
        return is_level_staff(principal, appeal)
    in_grid = principal.is_grid_staff(appeal.grid_id, appeal.community_id, appeal.street_id)
    party_member = principal.party_member and principal.lives_in_community(appeal.community_id)
    return in_grid or (party_member and not appeal.confidential)


def may_see(principal, appeal):
    return (
        appeal.submitter_id == principal.id
        or is_handler(principal, appeal)
        or is_staff(principal, appeal)
        or (appeal.status in ("submitted", "dispatched") and may_claim(principal, appeal))
    )


def may_read_text(principal, appeal):
    """是否保密: a confidential appeal's text is for its submitter and the staff handling it."""
    if not appeal.confidential:
        return True
    return (
        appeal.submitter_id == principal.id
        or is_handler(principal, appeal)
        or is_level_staff(principal, appeal)
    )


def may_know_submitter(principal, appeal):
    """Who raised it: hidden by an anonymous appeal from all but the submitter, and by a
    confidential one from those who may not read it."""
    if appeal.submitter_id == principal.id:
        return True
    return not appeal.anonymous and may_read_text(principal, appeal)


def may_see_household(principal, appeal):
    """An anonymous appeal's household is for the one who took it on (and its submitter);
    everyone else sees its building, so that its occupants are not one request away."""
    if not may_read_text(principal, appeal):
        return False
    return not appeal.anonymous or principal.id in (appeal.handler_id, appeal.submitter_id)


def require(allowed, action):
    if not allowed:
        raise Forbidden(f"you may not {action}")
