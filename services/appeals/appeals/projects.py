"""Needs → projects: staff group appeals of one community into a 定向投 project proposal.

Funding hears `project_proposed` and creates the project; when it completes,
funding's `project_completed` resolves the linked appeals (see app.py).
"""

from sqlalchemy import select

from yzw_kernel.contracts import appeals as contract
from yzw_kernel.errors import Conflict, InvalidInput, NotFound
from yzw_kernel.principal import Principal
from yzw_kernel.types import iso, utcnow
from yzw_kernel.validation import load

from . import access, app
from .models import Appeal, ProjectProposal

# Appeals that were turned down or taken back are no need to build a project on.
NOT_A_NEED = ("rejected", "withdrawn")


def propose(tx, principal, data):
    """Community admins group appeals of their community into a project proposal."""
    principal = Principal(principal)
    data = load(contract.ProposalIn, data)
    ids = data["appeal_ids"]
    if len(set(ids)) != len(ids):
        raise InvalidInput("an appeal is listed twice", {"appeal_ids": ["each appeal once"]})
    # Each appeal must exist and be one the proposer may see; the first unseen one is not found.
    appeals = [app.visible_appeal(tx.session, principal, appeal_id) for appeal_id in ids]
    communities = {a.community_id for a in appeals}
    if len(communities) > 1:
        raise InvalidInput(
            "a proposal groups appeals of one community",
            {"appeal_ids": [f"appeals of {len(communities)} communities; choose one"]},
        )
    first = appeals[0]
    access.require(
        principal.is_community_admin(first.community_id, first.street_id),
        "propose projects for this community",
    )
    taken = [a.number for a in appeals if a.project_proposal_id is not None]
    if taken:
        raise Conflict(
            f"already in another proposal: {', '.join(taken)}",
            {"appeal_ids": [f"{n} is already proposed" for n in taken]},
        )
    over = [f"{a.number} is {a.status}" for a in appeals if a.status in NOT_A_NEED]
    if over:
        raise Conflict(f"not a need to build on: {', '.join(over)}", {"appeal_ids": over})
    proposal = ProjectProposal(
        community_id=first.community_id,
        title=data["title"],
        appeal_ids=list(ids),
        estimated_cost_fen=data["estimated_cost_fen"],
        beneficiaries=data["beneficiaries"],
        proposed_by=principal.id,
        created_at=utcnow(),
    )
    tx.session.add(proposal)
    tx.flush()
    for appeal in appeals:
        # versioned rows: a proposal racing for the same appeal gets a conflict on flush
        appeal.project_proposal_id = proposal.id
        note = f"grouped into project proposal {proposal.id}: {proposal.title}"
        app.add_note(tx, appeal, principal.id, "project_proposed", note)
    tx.flush()
    tx.publish(
        "project_proposed",
        {
            "proposal_id": proposal.id,
            "community_id": proposal.community_id,
            "title": proposal.title,
            "appeal_ids": list(proposal.appeal_ids),
            "estimated_cost_fen": proposal.estimated_cost_fen,
            "beneficiaries": proposal.beneficiaries,
            "proposed_by": proposal.proposed_by,
        },
    )
    return view(proposal)


def get(tx, principal, proposal_id):
    """The community's admins see a proposal, and so does anyone who may see one of its appeals."""
    principal = Principal(principal)
    proposal = tx.session.get(ProjectProposal, proposal_id) if proposal_id else None
    if proposal is None:
        raise NotFound(f"no project proposal with id {proposal_id}")
    appeals = tx.session.scalars(select(Appeal).where(Appeal.id.in_(proposal.appeal_ids))).all()
    streets = {a.street_id for a in appeals} or {None}
    admin = any(principal.is_community_admin(proposal.community_id, s) for s in streets)
    if not (admin or any(access.may_see(principal, a) for a in appeals)):
        raise NotFound(f"no project proposal with id {proposal_id}")
    return view(proposal)


def view(proposal):
    return {
        "id": proposal.id,
        "community_id": proposal.community_id,
        "title": proposal.title,
        "appeal_ids": list(proposal.appeal_ids),
        "estimated_cost_fen": proposal.estimated_cost_fen,
        "beneficiaries": proposal.beneficiaries,
        "proposed_by": proposal.proposed_by,
        "created_at": iso(proposal.created_at),
        "completed_at": iso(proposal.completed_at),
    }
