"""Who may be named, and who may approve, in volunteering: rules on the kernel's Principal."""

from yzw_kernel.errors import Forbidden, InvalidInput, NotFound
from yzw_kernel.principal import Principal


def ask_grid(people, *person_ids):
    """Grid's principals of the people named, by id (people grid does not know are left
    out). Asked before the unit of work touches the database: SQLite would hold its
    write lock while grid answers."""
    wanted = sorted({p for p in person_ids if p})
    return people(wanted) if wanted else {}


def require_people_of(community_id, named, principals):
    """Each person named in a request (field → person id) is somebody grid knows (404
    otherwise) and one of the community's own people (400 otherwise): living there or
    holding a role there, as `Principal.belongs_to_community` says."""
    unknown = {field: ["no such person"] for field, pid in named.items() if pid not in principals}
    if unknown:
        raise NotFound("no such person", unknown)
    elsewhere = {
        field: ["not one of this community's people"]
        for field, pid in named.items()
        if not Principal(principals[pid]).belongs_to_community(community_id)
    }
    if elsewhere:
        raise InvalidInput("not one of this community's people", elsewhere)


def require_awardable(principal, principals, person_id):
    """A community admin awards stars by hand to their own community's people."""
    administered = {
        c
        for c in set(principal.administers)
        | {r["community_id"] for r in principal.admin_roles if r["role"] == "community_admin"}
        if c
    }
    if not administered:
        raise Forbidden("you may not award stars here")
    if person_id not in principals:
        raise NotFound("no such person", {"person_id": ["no such person"]})
    person = Principal(principals[person_id])
    if not any(person.belongs_to_community(c) for c in administered):
        raise Forbidden("you may not award stars here")


def require_second_person(principal, activity):
    """A completion waiting for approval is decided by a community admin of the activity's
    community other than the one who completed it."""
    if not principal.is_community_admin(activity.community_id):
        raise Forbidden("you may not decide on this activity's stars")
    if principal.id == activity.completed_by:
        raise Forbidden("you completed this activity; its approval is another community admin's")
