"""Who is asking: the grid service's answer about a person, as other services read it.

The gateway asks grid for a person's principal once per request and hands it
to the service it calls; services decide with it, never with their own copy
of grid's roles.
"""

from marshmallow import EXCLUDE, Schema, fields

from .errors import Forbidden
from .validation import load


class _GridRole(Schema):
    grid_id = fields.String(required=True)
    community_id = fields.String(required=True)
    role = fields.String(required=True)


class _AdminRole(Schema):
    role = fields.String(required=True)
    community_id = fields.String(allow_none=True)
    street_id = fields.String(allow_none=True)


class PrincipalSchema(Schema):
    person_id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(load_default="resident")
    party_member = fields.Boolean(load_default=False)
    household_id = fields.String(allow_none=True, load_default=None)
    building_id = fields.String(allow_none=True, load_default=None)
    estate_id = fields.String(allow_none=True, load_default=None)
    grid_id = fields.String(allow_none=True, load_default=None)
    community_id = fields.String(allow_none=True, load_default=None)
    roles = fields.List(fields.String(), load_default=list)
    grid_roles = fields.List(fields.Nested(_GridRole), load_default=list)
    admin_roles = fields.List(fields.Nested(_AdminRole), load_default=list)
    administers = fields.List(
        fields.String(),
        load_default=list,
        metadata={"description": "communities administered, directly or through the street"},
    )


class Principal:
    def __init__(self, data):
        data = load(PrincipalSchema, data, unknown=EXCLUDE)
        self.__dict__.update(data)
        self.id = data["person_id"]

    def is_street_admin(self, street_id):
        return any(
            r["role"] == "street_admin" and r["street_id"] == street_id for r in self.admin_roles
        )

    def has_community_role(self, role, community_id, street_id=None):
        """`role` in the community; a street admin holds them all in their street."""
        if street_id is not None and self.is_street_admin(street_id):
            return True
        return any(
            r["role"] == role and r["community_id"] == community_id for r in self.admin_roles
        )

    def is_community_admin(self, community_id, street_id=None):
        return community_id in self.administers or self.has_community_role(
            "community_admin", community_id, street_id
        )

    def grid_role_in(self, grid_id):
        return {r["role"] for r in self.grid_roles if r["grid_id"] == grid_id}

    def is_grid_staff(self, grid_id, community_id=None, street_id=None):
        """A role in the grid, or administering its community or street."""
        return bool(self.grid_role_in(grid_id)) or (
            community_id is not None and self.is_community_admin(community_id, street_id)
        )

    def lives_in_community(self, community_id):
        return self.community_id == community_id

    def belongs_to_community(self, community_id, street_id=None):
        """Lives there, holds any role there (a grid's, admin, treasurer), or administers it
        through the street: who may read what the community keeps for its own people."""
        return community_id is not None and (
            self.lives_in_community(community_id)
            or any(r["community_id"] == community_id for r in self.grid_roles)
            or any(r["community_id"] == community_id for r in self.admin_roles)
            or self.is_community_admin(community_id, street_id)
        )

    def require(self, allowed, action):
        if not allowed:
            raise Forbidden(f"you may not {action}")
