"""Who may do what with a fund: decided from grid's principal, never a local copy."""

from yzw_kernel.db import get_one

from .models import Fund


def administers(principal, fund):
    """A community admin of the fund's community, or an admin of its street."""
    if fund.community_id is None:
        return principal.is_street_admin(fund.street_id)
    return principal.is_community_admin(fund.community_id, fund.street_id)


def keeps_money(principal, fund):
    """Money moves only by treasurers (a street admin holds every role in the street)."""
    if fund.community_id is None:
        return principal.is_street_admin(fund.street_id)
    return principal.has_community_role("treasurer", fund.community_id, fund.street_id)


def approves_grants(principal, fund):
    """Treasurers and community admins approve grants."""
    return keeps_money(principal, fund) or administers(principal, fund)


def community_staff(principal, community_id, street_id=None):
    """Grid staff of the community, its admins and treasurers."""
    return (
        principal.is_community_admin(community_id, street_id)
        or principal.has_community_role("treasurer", community_id, street_id)
        or any(r["community_id"] == community_id for r in principal.grid_roles)
    )


def reads_fund(principal, fund):
    """A community's fund is for its own people to follow (its residents and staff);
    a street's, for the street's admins. The public report is open to everyone."""
    if fund.community_id is None:
        return principal.is_street_admin(fund.street_id)
    return principal.belongs_to_community(fund.community_id, fund.street_id)


def fund_staff(principal, fund):
    if fund.community_id is None:
        return principal.is_street_admin(fund.street_id)
    return community_staff(principal, fund.community_id, fund.street_id)


def get_fund(session, fund_id):
    return get_one(session, Fund, fund_id, "fund")
