"""Who may do what in the grid: the acting person's roles, loaded once per call."""

from sqlalchemy import select

from yzw_kernel.errors import Forbidden, Unauthenticated

from .models import AdminRole, Community, Grid, GridRole, Person


class Actor:
    def __init__(self, session, person_id):
        self.session = session
        self.person = session.get(Person, person_id) if person_id else None
        if person_id and self.person is None:
            raise Unauthenticated("your account no longer exists; log in again")
        self.id = person_id
        self.admin_roles = (
            session.scalars(select(AdminRole).where(AdminRole.person_id == person_id)).all()
            if person_id
            else []
        )
        self.grid_roles = (
            session.scalars(select(GridRole).where(GridRole.person_id == person_id)).all()
            if person_id
            else []
        )

    @property
    def street_ids(self):
        return {r.street_id for r in self.admin_roles if r.role == "street_admin"}

    def is_street_admin(self, street_id):
        return street_id in self.street_ids

    def is_community_admin(self, community_id):
        if any(
            r.role == "community_admin" and r.community_id == community_id for r in self.admin_roles
        ):
            return True
        community = self.session.get(Community, community_id)
        return community is not None and self.is_street_admin(community.street_id)

    def has_grid_role(self, grid_id):
        return any(r.grid_id == grid_id for r in self.grid_roles)

    def is_grid_staff(self, grid_id):
        """Anyone holding a role in the grid, or administering its community."""
        if self.has_grid_role(grid_id):
            return True
        grid = self.session.get(Grid, grid_id)
        return grid is not None and self.is_community_admin(grid.community_id)

    def in_community(self, community_id):
        if self.is_community_admin(community_id) or any(
            r.community_id == community_id for r in self.admin_roles
        ):
            return True
        grid_ids = {r.grid_id for r in self.grid_roles}
        if grid_ids and self.session.scalar(
            select(Grid.id).where(Grid.id.in_(grid_ids), Grid.community_id == community_id)
        ):
            return True
        return False

    def works_in_street(self, street_id):
        """The street's admins, and anyone administering or holding a grid role in one of
        its communities: the staff who send appeals on to its departments."""
        if self.is_street_admin(street_id):
            return True
        communities = select(Community.id).where(Community.street_id == street_id)
        if any(r.community_id is not None for r in self.admin_roles) and self.session.scalar(
            communities.where(Community.id.in_({r.community_id for r in self.admin_roles})).limit(1)
        ):
            return True
        grid_ids = {r.grid_id for r in self.grid_roles}
        return bool(
            grid_ids
            and self.session.scalar(
                select(Grid.id)
                .where(Grid.id.in_(grid_ids), Grid.community_id.in_(communities))
                .limit(1)
            )
        )

    def require(self, allowed, action):
        if not allowed:
            raise Forbidden(f"you may not {action}")
