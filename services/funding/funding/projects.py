"""定向投 projects: proposed → assessed → approved → funded → claimed → in progress → completed."""

from sqlalchemy import select

from yzw_kernel.contracts import funding as contract
from yzw_kernel.db import get_one
from yzw_kernel.errors import Conflict
from yzw_kernel.paging import keyset_page
from yzw_kernel.principal import Principal
from yzw_kernel.types import iso, utcnow
from yzw_kernel.validation import load

from . import access, ledger
from .models import Fund, Project, ProjectAppeal, ProjectClaim


def _appeal_ids(session, project_id):
    return sorted(
        session.scalars(
            select(ProjectAppeal.appeal_id).where(ProjectAppeal.project_id == project_id)
        )
    )


def project_view(session, project):
    claims = session.scalars(
        select(ProjectClaim)
        .where(ProjectClaim.project_id == project.id)
        .order_by(ProjectClaim.claimed_at, ProjectClaim.id)
    )
    earmarked = ledger.balance(session, project.fund_id, ledger.earmarked(project.id))
    return {
        "id": project.id,
        "community_id": project.community_id,
        "fund_id": project.fund_id,
        "proposal_id": project.proposal_id,
        "appeal_ids": _appeal_ids(session, project.id),
        "title": project.title,
        "description": project.description,
        "status": project.status,
        "estimated_cost_fen": project.estimated_cost,
        "assessment": project.assessment,
        "budget_fen": project.budget,
        "earmarked_fen": earmarked if project.fund_id else 0,
        "funded_fen": project.funded,
        "spent_fen": project.spent,
        "beneficiaries": project.beneficiaries,
        "claims": [
            {
                "id": c.id,
                "claimant_kind": c.claimant_kind,
                "claimant_name": c.claimant_name,
                "claimant_id": c.claimant_id,
                "part": c.part,
                "form": c.form,
                "value_fen": c.value,
                "claimed_at": iso(c.claimed_at),
            }
            for c in claims
        ],
        "created_at": iso(project.created_at),
        "completed_at": iso(project.completed_at),
    }


def _only_fund_of(session, community_id):
    """The community's fund when it has exactly one: a proposal goes there."""
    fund_ids = list(session.scalars(select(Fund.id).where(Fund.community_id == community_id)))
    return fund_ids[0] if len(fund_ids) == 1 else None


def create_from_proposal(tx, envelope):
    """appeals.project_proposed: the proposal becomes a project, linked to its appeals."""
    data = envelope["data"]
    if tx.session.scalar(select(Project.id).where(Project.proposal_id == data["proposal_id"])):
        return None
    project = Project(
        community_id=data["community_id"],
        fund_id=_only_fund_of(tx.session, data["community_id"]),
        proposal_id=data["proposal_id"],
        title=data["title"][:200],
        estimated_cost=data["estimated_cost_fen"],
        beneficiaries=data["beneficiaries"],
        created_by=data["proposed_by"],
    )
    tx.session.add(project)
    tx.flush()
    for appeal_id in sorted(set(data["appeal_ids"])):
        tx.session.add(ProjectAppeal(project_id=project.id, appeal_id=appeal_id))
    tx.flush()
    return project


def _fund_for(session, principal, fund_id, community_id):
    """A fund that may pay for a project of `community_id`, and that the principal runs."""
    fund = access.get_fund(session, fund_id)
    if fund.community_id not in (None, community_id):
        raise Conflict(
            "that fund belongs to another community", {"fund_id": ["another community's fund"]}
        )
    principal.require(access.administers(principal, fund), "plan projects on this fund")
    return fund


def create(tx, principal, data):
    """Staff create a project directly (not every project starts as residents' clues)."""
    principal = Principal(principal)
    data = load(contract.ProjectIn, data)
    principal.require(principal.is_community_admin(data["community_id"]), "create projects here")
    fund = None
    if data["fund_id"]:
        fund = _fund_for(tx.session, principal, data["fund_id"], data["community_id"])
    project = Project(
        community_id=data["community_id"],
        fund_id=fund.id if fund else None,
        title=data["title"],
        description=data["description"],
        estimated_cost=data["estimated_cost_fen"],
        beneficiaries=data["beneficiaries"],
        created_by=principal.id,
    )
    tx.session.add(project)
    tx.flush()
    return project_view(tx.session, project)


def get(tx, principal, project_id):
    """The community's own people follow its projects; the public report shows them to all."""
    principal = Principal(principal)
    project = get_one(tx.session, Project, project_id, "project")
    principal.require(principal.belongs_to_community(project.community_id), "see this project")
    return project_view(tx.session, project)


def list_projects(tx, principal, query):
    principal = Principal(principal)
    query = load(contract.ProjectQuery, query)
    principal.require(
        principal.belongs_to_community(query["community_id"]), "see this community's projects"
    )
    stmt = select(Project).where(Project.community_id == query["community_id"])
    if query["status"]:
        stmt = stmt.where(Project.status == query["status"])
    order = [Project.created_at, Project.id]
    projects, next_cursor = keyset_page(tx.session, stmt, order, query)
    return {"items": [project_view(tx.session, p) for p in projects], "next_cursor": next_cursor}


def _move(project, allowed, to):
    if project.status not in allowed:
        raise Conflict(
            f"the project is {project.status}; it cannot become {to}",
            {"status": [f"{project.status}, expected {' or '.join(allowed)}"]},
        )
    project.status = to


def _as_admin(tx, principal, project_id, action):
    principal = Principal(principal)
    project = get_one(tx.session, Project, project_id, "project")
    principal.require(principal.is_community_admin(project.community_id), action)
    return principal, project


def assess(tx, principal, project_id, data):
    """调研评估: the survey's note."""
    principal, project = _as_admin(tx, principal, project_id, "assess this project")
    data = load(contract.AssessIn, data)
    _move(project, ("proposed",), "assessed")
    project.assessment = data["note"]
    tx.flush()
    return project_view(tx.session, project)


def approve(tx, principal, project_id, data):
    """A budget, and the fund that will pay it."""
    principal, project = _as_admin(tx, principal, project_id, "approve this project")
    data = load(contract.ApproveIn, data)
    if data["fund_id"] and project.fund_id and data["fund_id"] != project.fund_id:
        raise Conflict(
            "the project already has gifts in another fund",
            {"fund_id": [f"the project's fund is {project.fund_id}"]},
        )
    fund_id = data["fund_id"] or project.fund_id
    if not fund_id:
        raise Conflict("say which fund pays for the project", {"fund_id": ["required"]})
    fund = _fund_for(tx.session, principal, fund_id, project.community_id)
    _move(project, ("assessed",), "approved")
    project.fund_id = fund.id
    project.budget = data["budget_fen"]
    tx.flush()
    return project_view(tx.session, project)


def _as_treasurer(tx, principal, project_id, action):
    principal = Principal(principal)
    project = get_one(tx.session, Project, project_id, "project")
    if project.fund_id is None:
        # only who could move its money (a treasurer, or the street's admin) hears why not
        street_admin = any(r["role"] == "street_admin" for r in principal.admin_roles)
        principal.require(
            principal.has_community_role("treasurer", project.community_id)
            or (street_admin and principal.is_community_admin(project.community_id)),
            action,
        )
        raise Conflict("the project has no fund yet; approve it first")
    fund = access.get_fund(tx.session, project.fund_id)
    principal.require(access.keeps_money(principal, fund), action)
    return principal, project, fund


def fund(tx, principal, project_id):
    """Allocate the budget: the project's earmarked gifts first, then general money."""
    principal, project, fund_ = _as_treasurer(tx, principal, project_id, "fund this project")
    _move(project, ("approved",), "funded")
    earmark = ledger.earmarked(project.id)
    from_earmark = min(ledger.balance(tx.session, fund_.id, earmark), project.budget)
    from_general = project.budget - from_earmark
    transaction = ledger.post(
        tx,
        fund_.id,
        "allocation",
        f"budget of project {project.title}",
        [
            (earmark, -from_earmark),
            (ledger.AVAILABLE, -from_general),
            (ledger.allocated(project.id), project.budget),
        ],
        principal.id,
    )
    project.funded = project.budget
    tx.flush()
    tx.publish(
        "project_funded",
        {
            "project_id": project.id,
            "fund_id": fund_.id,
            "community_id": project.community_id,
            "budget_fen": project.budget,
            "from_earmarked_fen": from_earmark,
            "from_general_fen": from_general,
            "transaction_id": transaction.id,
        },
    )
    return project_view(tx.session, project)


def claim(tx, principal, project_id, data):
    """认领: an organisation or the community takes on a part, in money, goods or labour."""
    principal, project = _as_admin(tx, principal, project_id, "record claims on this project")
    data = load(contract.ClaimIn, data)
    _move(
        project,
        ("funded", "claimed", "in_progress"),
        "in_progress" if project.status == "in_progress" else "claimed",
    )
    if tx.session.scalar(
        select(ProjectClaim.id).where(
            ProjectClaim.project_id == project.id, ProjectClaim.part == data["part"]
        )
    ):
        raise Conflict("this part is already claimed", {"part": ["already claimed"]})
    tx.session.add(
        ProjectClaim(
            project_id=project.id,
            claimant_kind=data["claimant_kind"],
            claimant_name=data["claimant_name"],
            claimant_id=data["claimant_id"],
            part=data["part"],
            form=data["form"],
            value=data["value_fen"],
            recorded_by=principal.id,
        )
    )
    tx.flush()
    return project_view(tx.session, project)


def start(tx, principal, project_id):
    principal, project = _as_admin(tx, principal, project_id, "start this project")
    _move(project, ("funded", "claimed"), "in_progress")
    tx.flush()
    return project_view(tx.session, project)


def complete(tx, principal, project_id, data):
    """Book the actual spend; what was not spent goes back to the fund; appeals resolve."""
    principal, project, fund_ = _as_treasurer(tx, principal, project_id, "complete this project")
    data = load(contract.CompleteIn, data)
    # locked: a gift being earmarked to the project waits, then finds it completed
    tx.session.refresh(project, with_for_update=True)
    _move(project, ("in_progress",), "completed")
    allocated = ledger.balance(tx.session, fund_.id, ledger.allocated(project.id))
    actual = data["actual_spend_fen"]
    if actual > allocated:
        raise Conflict(
            f"the project was allocated {allocated} fen; it cannot have spent {actual}",
            {"actual_spend_fen": [f"at most the {allocated} fen allocated"]},
        )
    earmark = ledger.earmarked(project.id)
    left_earmarked = ledger.balance(tx.session, fund_.id, earmark)
    legs = [
        (ledger.allocated(project.id), -allocated),
        (earmark, -left_earmarked),
        (ledger.spent_on_project(project.id), actual),
        (ledger.AVAILABLE, allocated - actual + left_earmarked),
    ]
    if any(amount for _, amount in legs):
        ledger.post(
            tx, fund_.id, "completion", f"project {project.title} completed", legs, principal.id
        )
    project.spent = actual
    project.beneficiaries = data["beneficiaries"]
    project.completed_at = utcnow()
    tx.flush()
    tx.publish(
        "project_completed",
        {
            "project_id": project.id,
            "proposal_id": project.proposal_id,
            "community_id": project.community_id,
            "appeal_ids": _appeal_ids(tx.session, project.id),
            "beneficiaries": project.beneficiaries,
            "actual_spend_fen": actual,
        },
    )
    return project_view(tx.session, project)
