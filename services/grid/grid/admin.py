"""Operator commands for the grid service, run against its database directly.

    grid-admin create-street-admin --street 青山区 --name 王主任 --phone 13900000000
    grid-admin create-street-admin --street 薛家湾镇 --name 李书记 --phone 13900000001 \
        --level-names street=镇,community=村,grid=村民小组

creates a street (or finds it by name) and its first street admin, who then
creates communities through the API. The password is read from the
GRID_ADMIN_PASSWORD environment variable or asked for.
"""

import argparse
import getpass
import os
import sys

from sqlalchemy import select

from yzw_kernel.contracts.grid import PersonIn
from yzw_kernel.db import Store, database_url
from yzw_kernel.errors import InvalidInput
from yzw_kernel.validation import load

from . import app
from .access import Actor
from .models import Person, Street
from .passwords import hash_password
from .service import MIGRATIONS


def open_store():
    """The grid database named by GRID_DATABASE_URL, as the service would open it."""
    url = os.environ.get("GRID_DATABASE_URL") or database_url({}, "grid")
    store = Store(url, source="grid", migrations=MIGRATIONS, amqp_uri=os.environ.get("AMQP_URI"))
    store.migrate()
    return store


def create_street_admin(store, street_name, name, phone, password, level_names=None):
    """Idempotent: the same phone on the same street is left as it is."""
    phone = load(PersonIn, {"name": name, "phone": phone, "password": password})["phone"]
    with store.transaction() as tx:
        street = tx.session.scalar(select(Street).where(Street.name == street_name))
        street_id = street.id if street else app.create_street(tx, street_name, level_names)["id"]
        person = tx.session.scalar(select(Person).where(Person.phone == phone))
        if person is None:
            person = Person(
                name=name,
                phone=phone,
                password_hash=hash_password(password),
                kind="department_staff",
            )
            tx.session.add(person)
            tx.flush()
            tx.publish(
                "person_registered",
                {
                    "person_id": person.id,
                    "name": name,
                    "household_id": None,
                    "grid_id": None,
                    "community_id": None,
                    "party_member": False,
                },
            )
        actor = Actor(tx.session, person.id)
        if not actor.is_street_admin(street_id):
            app.grant_street_admin(tx, person.id, street_id)
        return {"street_id": street_id, "person_id": person.id}


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="grid-admin", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-street-admin", help="create a street and its first admin")
    create.add_argument("--street", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--phone", required=True)
    create.add_argument(
        "--level-names",
        default="",
        help="what the levels are called here, e.g. street=镇,community=村,grid=村民小组",
    )
    args = parser.parse_args(argv)
    password = os.environ.get("GRID_ADMIN_PASSWORD") or getpass.getpass("password: ")
    try:
        names = dict(pair.split("=", 1) for pair in args.level_names.split(",") if pair)
    except ValueError:
        sys.exit("--level-names takes level=name pairs separated by commas")
    store = open_store()
    try:
        result = create_street_admin(store, args.street, args.name, args.phone, password, names)
    except InvalidInput as error:
        sys.exit(f"grid-admin: {error}: {error.fields}")
    finally:
        store.relay.relay_now()
        store.dispose()
    print(f"street {result['street_id']}, admin {result['person_id']}")


if __name__ == "__main__":
    main()
