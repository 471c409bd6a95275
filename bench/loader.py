"""A city district, loaded in bulk straight into the services' PostgreSQL databases.

Server-side SQL only (`INSERT … SELECT … FROM generate_series`): nothing travels
row by row, so a million appeals load in about a minute. The rows are what the
services themselves write, or the queries measured on them would mean nothing:

- grid: communities of a street, each with its estates, grids, buildings (one
  estate and one grid each), units and households; residents living in them
  (argon2 hash of one password, unique phones); a grid worker per grid, a
  community admin and a treasurer per community;
- volunteer: the red-star account grid's `person_registered` opens for each person;
- appeals: appeals of those households, in those grids, with statuses the state
  machine can reach, times in the right order (timezone-aware UTC), ratings
  only on closed ones, numbers `YYYY-NNNNNN` that the service's counter will
  continue after, and each appeal's timeline, one entry per transition;
- funding: a fund per community; donations and paid grants (two approvals
  each), each a ledger transaction whose entries sum to zero, and the balances
  the service keeps in step, summed from the entries.

Ids are UUIDs (version 4 in shape) made from a hash of (run tag, kind, number),
so each database can name the rows of another without asking it. Appeals and
ledger transactions are numbered 1..N in time order; a phase loads every k-th
of them (`part` 0 of k) or all the others (`part` 1), so the first phase is a
tenth of the district spread over the same three years, and the second makes
it whole. `verify` checks the invariants afterwards.
"""

import hashlib
import math
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pg_admin

CATEGORY_HOURS = {  # services/appeals/config.yml DEADLINES.by_category
    "legacy": 336,
    "infrastructure": 168,
    "daily": 72,
    "dispute": 48,
    "sanitation": 48,
    "safety": 24,
    "greening_lighting": 120,
    "parking": 72,
    "assistance": 48,
    "property_service": 72,
    "other": 72,
}
CHANNELS = ("caring", "public_welfare", "leading", "mutual_aid")  # directed needs a project
GRANT_PURPOSES = (
    "emergency_relief",
    "disaster_relief",
    "hardship_relief",
    "elderly_support",
    "orphan_support",
    "public_welfare_support",
    "recruit_award",
    "student_award",
    "role_model_award",
)
SPAN = timedelta(days=3 * 365)  # appeals and money of the last three years
T0, NOW = (
    "CAST(:start AS timestamptz)",
    "CAST(:now AS timestamptz)",
)  # the load's parameters  # older appeals are all settled; newer ones may still be open


@dataclass(frozen=True)
class Layout:
    """How many of each thing. Per community: estates × grids buildings (each in one
    estate and one grid), units per building, households per unit, residents."""

    communities: int = 100
    residents: int = 200_000
    appeals: int = 1_000_000
    ledger_entries: int = 2_000_000
    estates: int = 5
    grids: int = 8
    units_per_building: int = 2
    households_per_unit: int = 10
    growth: int = 10  # the first phase loads one appeal (and transaction) in `growth`

    @classmethod
    def scaled(cls, scale):
        """The full district times `scale` (0.1: 10 communities, 100,000 appeals)."""
        full = cls()
        return cls(
            communities=max(1, round(full.communities * scale)),
            residents=max(1, round(full.residents * scale)),
            appeals=max(full.growth, round(full.appeals * scale)),
            ledger_entries=max(2 * full.growth, round(full.ledger_entries * scale)),
        )

    @property
    def buildings(self):
        return self.estates * self.grids

    @property
    def households(self):
        """Households per community."""
        return self.buildings * self.units_per_building * self.households_per_unit

    @property
    def residents_per_community(self):
        return self.residents // self.communities

    @property
    def transactions(self):
        return self.ledger_entries // 2  # every donation and grant payment has two legs

    def check(self):
        if self.residents_per_community < self.households:
            raise ValueError(
                f"{self.residents_per_community} residents a community cannot fill "
                f"{self.households} households; give more residents or a smaller layout"
            )

    def phase_size(self, total, part):
        first = total // self.growth
        return first if part == 0 else total - first


def stable_id(tag, kind, n):
    """The id `uid()` gives in SQL, computed here: a v4-shaped UUID."""
    digest = list(hashlib.md5(f"{tag}:{kind}:{n}".encode()).hexdigest())
    digest[12], digest[16] = "4", "8"
    return str(uuid.UUID("".join(digest)))


def _array(values):
    return "ARRAY[" + ", ".join(f"'{v}'" for v in values) + "]"


class District:
    """One district: `load_people()` once, then `load_activity(part)` for part 0 and 1."""

    def __init__(self, urls, layout, tag, street_id, password_hash, now=None):
        layout.check()
        self.urls = urls  # service → database URL
        self.layout = layout
        self.tag = tag
        self.street_id = street_id
        self.password_hash = password_hash
        self.now = now or datetime.now(UTC).replace(microsecond=0)
        self.start = self.now - SPAN
        self.timings = []  # (service, statement, seconds)

    # -- ids -----------------------------------------------------------------

    def uid(self, kind, expr):
        """SQL for the id of thing `kind` number `expr` (see `stable_id`)."""
        return (
            f"overlay(overlay(md5('{self.tag}:{kind}:' || ({expr})::text) "
            "placing '4' from 13) placing '8' from 17)::uuid::text"
        )

    def person_id(self, community, person):
        return stable_id(
            self.tag, "person", community * self.layout.residents_per_community + person
        )

    def community_id(self, community):
        return stable_id(self.tag, "community", community)

    def fund_id(self, community):
        return stable_id(self.tag, "fund", community)

    def grid_worker(self, community, grid):
        """Person number of grid `grid`'s worker: who lives in its first household."""
        return grid * self.layout.units_per_building * self.layout.households_per_unit

    ADMIN, TREASURER = 1, 2  # person numbers of each community's admin and treasurer

    def _run(self, service, statements, params=None):
        connection = pg_admin.connect(self.urls[service])
        try:
            connection.run("SET synchronous_commit = off")
            connection.run("SET maintenance_work_mem = '256MB'")
            connection.run("SET work_mem = '64MB'")
            for sql in statements:
                began = time.perf_counter()
                connection.run(sql, **(params or {}))
                self.timings.append(
                    (service, " ".join(sql.split())[:60], time.perf_counter() - began)
                )
        finally:
            connection.close()

    def _scalar(self, service, sql, **params):
        connection = pg_admin.connect(self.urls[service])
        try:
            return connection.run(sql, **params)[0][0]
        finally:
            connection.close()

    # -- places and people ------------------------------------------------------

    def load_people(self):
        """grid's places and people, and volunteer's accounts."""
        L = self.layout
        R, H, B, G = L.residents_per_community, L.households, L.buildings, L.grids
        hpb = L.units_per_building * L.households_per_unit
        uid = self.uid
        grid_sql = [
            f"""INSERT INTO communities (id, street_id, name, created_at)
            SELECT {uid("community", "c")}, :street, '第' || (c + 1) || '社区', {T0}
            FROM generate_series(0::bigint, {L.communities - 1}) c""",
            f"""INSERT INTO estates (id, community_id, name)
            SELECT {uid("estate", "n")}, {uid("community", f"n / {L.estates}")},
                   (n % {L.estates} + 1) || '区'
            FROM generate_series(0::bigint, {L.communities * L.estates - 1}) n""",
            f"""INSERT INTO grids (id, community_id, name)
            SELECT {uid("grid", "n")}, {uid("community", f"n / {L.grids}")},
                   '第' || (n % {L.grids} + 1) || '网格'
            FROM generate_series(0::bigint, {L.communities * L.grids - 1}) n""",
            # building b of community c: estate b / grids, grid b % grids
            f"""INSERT INTO buildings (id, estate_id, grid_id, name)
            SELECT {uid("building", "n")},
                   {uid("estate", f"(n / {B}) * {L.estates} + (n % {B}) / {L.grids}")},
                   {uid("grid", f"(n / {B}) * {L.grids} + (n % {B}) % {L.grids}")},
                   (n % {L.buildings} + 1) || '号楼'
            FROM generate_series(0::bigint, {L.communities * L.buildings - 1}) n""",
            f"""INSERT INTO units (id, building_id, name)
            SELECT {uid("unit", "n")}, {uid("building", f"n / {L.units_per_building}")},
                   (n % {L.units_per_building} + 1) || '单元'
            FROM generate_series(0::bigint, {L.communities * B * L.units_per_building - 1}) n""",
            f"""INSERT INTO households (id, unit_id, number, kind)
            SELECT {uid("household", "n")}, {uid("unit", f"n / {L.households_per_unit}")},
                   ((n % {L.households_per_unit}) / 2 + 1) * 100 + n % 2 + 1,
                   CASE WHEN n % 40 = 39 THEN 'shop' ELSE 'home' END
            FROM generate_series(0::bigint, {L.communities * H - 1}) n""",
            # person p of community c lives in household p % H of it
            f"""INSERT INTO people (id, name, phone, password_hash, household_id, kind,
                                    party_membership, employer, created_at)
            SELECT {uid("person", "n")}, '居民' || n, '16' || lpad(n::text, 9, '0'), :hash,
                   {uid("household", f"(n / {R}) * {H} + (n % {R}) % {H}")}, 'resident',
                   CASE WHEN n % 20 = 7 THEN 'registered' WHEN n % 50 = 11 THEN 'reporting' END,
                   CASE WHEN n % 50 = 11 THEN '某某单位' END,
                   {T0} + (n % 1000) * interval '1 hour'
            FROM generate_series(0::bigint, {L.communities * R - 1}) n""",
            f"""INSERT INTO grid_roles (id, grid_id, person_id, role, scope_id, assigned_at)
            SELECT {uid("grid-role", "n")}, {uid("grid", "n")},
                   {uid("person", f"(n / {L.grids}) * {R} + (n % {L.grids}) * {hpb}")},
                   'grid_worker', '', {T0}
            FROM generate_series(0::bigint, {L.communities * L.grids - 1}) n""",
            f"""INSERT INTO admin_roles (id, person_id, role, street_id, community_id)
            SELECT {uid("admin-role", "n")}, {uid("person", f"(n / 2) * {R} + 1 + n % 2")},
                   CASE WHEN n % 2 = 0 THEN 'community_admin' ELSE 'treasurer' END,
                   NULL, {uid("community", "n / 2")}
            FROM generate_series(0::bigint, {L.communities * 2 - 1}) n""",
        ]
        self._run(
            "grid",
            grid_sql,
            {"street": self.street_id, "start": self.start, "hash": self.password_hash},
        )
        self._run(
            "volunteer",
            [
                f"""INSERT INTO accounts (id, owner_kind, owner_id, community_id, grid_id, name,
                                          balance, opened_at)
                SELECT {uid("account", "n")}, 'person', {uid("person", "n")},
                       {uid("community", f"n / {R}")},
                       {uid("grid", f"(n / {R}) * {G} + (((n % {R}) % {H}) / {hpb}) % {G}")},
                       '居民' || n, 0, {T0} + (n % 1000) * interval '1 hour'
                FROM generate_series(0::bigint, {L.communities * R - 1}) n"""
            ],
            {"start": self.start},
        )
        self._analyze("grid", ["people", "households", "grid_roles", "admin_roles"])
        self._analyze("volunteer", ["accounts"])

    # -- appeals ------------------------------------------------------------------

    def _phase(self, column, part):
        k = self.layout.growth
        return f"{column} % {k} = 0" if part == 0 else f"{column} % {k} <> 0"

    def load_activity(self, part):
        """Appeals (with timelines) and the ledger of phase `part` (0, then 1), the
        two databases at once."""
        failures = []

        def load(method):
            try:
                method(part)
            except Exception as error:  # noqa: BLE001 - raised below, in the caller
                failures.append(error)

        threads = [
            threading.Thread(target=load, args=(m,)) for m in (self.load_appeals, self.load_ledger)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]

    def _bulk(self, service, tables, statements, params):
        """Run `statements` with the tables' indexes and constraints set aside, and
        put them back exactly as they were: building an index once over a million
        rows (a sort) is many times cheaper than keeping it in step row by row. A
        primary key, a unique constraint or a foreign key the rows break fails the
        load when it is put back."""
        connection = pg_admin.connect(self.urls[service])
        try:
            names = _array(tables)
            # foreign keys from these tables, and into them from any other
            foreign_keys = connection.run(
                f"""SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
                FROM pg_constraint WHERE contype = 'f'
                AND (conrelid::regclass::text = ANY({names})
                     OR confrelid::regclass::text = ANY({names}))"""
            )
            keys = connection.run(
                f"""SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
                FROM pg_constraint WHERE contype IN ('p', 'u')
                AND conrelid::regclass::text = ANY({names})"""
            )
            indexes = connection.run(
                f"""SELECT indexname, indexdef FROM pg_indexes
                WHERE schemaname = 'public' AND tablename = ANY({names})
                AND indexname NOT IN (SELECT conname FROM pg_constraint
                                      WHERE contype IN ('p', 'u', 'x'))"""
            )
            for table, name, _ in foreign_keys + keys:
                connection.run(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _ in indexes:
                connection.run(f'DROP INDEX "{name}"')
        finally:
            connection.close()
        self._run(
            service,
            statements
            + [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, d in keys]
            + [definition for _, definition in indexes]
            + [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, d in foreign_keys],
            params,
        )

    def _year_starts(self):
        """For each year the appeals span, the first n whose time falls in it. The
        database's own arithmetic may put an appeal at a year's first instant on
        the other side: numbers then start at 2, never repeat (n is unique) and
        stay below the counter, which is moved past them with a margin."""
        step = SPAN / self.layout.appeals
        starts = {}
        for year in range(self.start.year, self.now.year + 1):
            begin = max(self.start, datetime(year, 1, 1, tzinfo=UTC))
            starts[year] = max(1, math.ceil((begin - self.start) / step))
        years = sorted(starts)
        ends = {
            y: (starts[years[i + 1]] if i + 1 < len(years) else self.layout.appeals + 1)
            for i, y in enumerate(years)
        }
        return starts, ends

    def _reserve_numbers(self):
        """Each year's numbers continue what the counter held before the load
        (the run's own appeals), and the counter moves past all the load will use."""
        starts, ends = self._year_starts()
        connection = pg_admin.connect(self.urls["appeals"])
        try:
            held = dict(
                connection.run("SELECT key, value FROM counters WHERE key LIKE 'appeal-number-%'")
            )
            self.number_base = {}
            for year, first in starts.items():
                before = held.get(f"appeal-number-{year}", 0)
                # n - base: from before + 2 (or + 1) up
                self.number_base[year] = first - 2 - before
                connection.run(
                    "INSERT INTO counters (key, value) VALUES (:key, :value) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    key=f"appeal-number-{year}",
                    value=before + ends[year] - first + 3,
                )
        finally:
            connection.close()

    def load_appeals(self, part):
        L = self.layout
        R, H = L.residents_per_community, L.households
        hpb = L.units_per_building * L.households_per_unit
        uid = self.uid
        if part == 0 or not hasattr(self, "number_base"):
            self._reserve_numbers()
        base_of_year = (
            "CASE "
            + " ".join(f"WHEN y = {y} THEN {b}" for y, b in self.number_base.items())
            + " END"
        )
        categories = _array(CATEGORY_HOURS)
        hours = "ARRAY[" + ", ".join(str(h) for h in CATEGORY_HOURS.values()) + "]"
        step_seconds = SPAN.total_seconds() / L.appeals
        # h1..h4: independent hashes of n (Knuth's multiplicative, and variations)
        base = f"""
            SELECT n, c, hh, created, y, h1, h2, h3, h4,
                   1 + h3 % {len(CATEGORY_HOURS)} AS cat,
                   -- a day or more before its deadline: it may be open (the service's
                   -- timer escalates an open appeal past it, so none is loaded that way)
                   (created + ({hours})[1 + h3 % {len(CATEGORY_HOURS)}] * interval '1 hour'
                    > {NOW} + interval '1 day') AS recent,
                   {uid("appeal", "n")} AS id,
                   {uid("community", "c")} AS community_id,
                   {uid("grid", f"c * {L.grids} + (hh / {hpb}) % {L.grids}")} AS grid_id,
                   {uid("household", f"c * {H} + hh")} AS household_id,
                   {uid("person", f"c * {R} + hh")} AS resident_id,
                   {uid("person", f"c * {R} + ((hh / {hpb}) % {L.grids}) * {hpb}")} AS worker_id
            FROM (
                SELECT n, (n / 10) % {L.communities} AS c,
                       (n * 2654435761) % 4294967291 % {H} AS hh,
                       {T0} + n * {step_seconds} * interval '1 second' AS created,
                       extract(year FROM ({T0} + n * {step_seconds} * interval '1 second')
                               AT TIME ZONE 'UTC')::int AS y,
                       (n * 2654435761) % 4294967291 / {H} % 1000 AS h1,
                       (n * 40503 + 17) % 65521 % 1000 AS h2,
                       (n * 69069 + 1) % 1000003 % 1000 AS h3,
                       (n * 48271) % 2147483647 % 1000 AS h4
                FROM generate_series(1::bigint, {L.appeals}) n
                WHERE {self._phase("n", part)}
            ) s"""
        # the status, then each time after the one before
        # the status aimed at, then each time after the one before; an appeal whose
        # next step would lie in the future has not got there yet
        aimed = f"""
            SELECT b.*,
                   CASE WHEN recent THEN
                        CASE WHEN h1 < 100 THEN 'submitted' WHEN h1 < 450 THEN 'dispatched'
                             WHEN h1 < 700 THEN 'claimed' WHEN h1 < 850 THEN 'resolved'
                             ELSE 'closed' END
                   ELSE CASE WHEN h1 < 70 THEN 'rejected'
                             WHEN h1 < 120 AND h2 < 850 THEN 'withdrawn'
                             WHEN h1 < 120 THEN 'rejected' ELSE 'closed' END
                   END AS aim,
                   CASE WHEN h2 < 850 THEN 'resident_app' WHEN h2 < 930 THEN 'visit'
                        WHEN h2 < 970 THEN 'patrol' ELSE 'hotline' END AS source,
                   created + (1 + h4 % 48) * interval '1 hour' AS claim_at,
                   created + (1 + h4 % 48 + 2 + h3 % 118) * interval '1 hour' AS resolve_at,
                   created + (1 + h4 % 48 + 2 + h3 % 118 + 1 + h2 % 71) * interval '1 hour'
                       AS close_at
            FROM ({base}) b"""
        shaped = f"""
            SELECT a.*,
                   CASE WHEN NOT recent AND close_at > {NOW} THEN 'rejected'
                        WHEN aim IN ('claimed', 'resolved', 'closed') AND claim_at > {NOW}
                            THEN 'dispatched'
                        WHEN aim IN ('resolved', 'closed') AND resolve_at > {NOW} THEN 'claimed'
                        WHEN aim = 'closed' AND close_at > {NOW} THEN 'resolved'
                        ELSE aim END AS status
            FROM ({aimed}) a"""
        sql = f"""
            WITH inserted AS (
            INSERT INTO appeals (id, number, street_id, community_id, grid_id, household_id,
                submitter_id, anonymous, source, category, title, description, photo_urls,
                confidential, status, level, assignee_kind, assignee_id, handler_id, resolution,
                rating, rating_comment, deadline_at, extension_requested_days, urged_at,
                project_proposal_id, created_at, claimed_at, resolved_at, closed_at, version)
            SELECT id, y || '-' || lpad((n - {base_of_year})::text, 6, '0'), :street, community_id,
                   grid_id, household_id,
                   CASE WHEN source = 'resident_app' THEN resident_id END,
                   source = 'resident_app' AND h2 % 50 = 3,
                   source, ({categories})[cat], '诉求' || n, '第' || n || '号诉求的说明', '[]',
                   h3 % 40 = 5, status, 'grid',
                   CASE WHEN status NOT IN ('submitted') THEN 'person' END,
                   CASE WHEN status NOT IN ('submitted') THEN worker_id END,
                   CASE WHEN status IN ('claimed', 'resolved', 'closed') THEN worker_id END,
                   CASE WHEN status IN ('resolved', 'closed') THEN '已处理' END,
                   CASE WHEN status = 'closed' THEN
                        CASE WHEN h4 < 100 THEN 3 WHEN h4 < 400 THEN 4 ELSE 5 END END,
                   CASE WHEN status = 'closed' AND h4 % 7 = 0 THEN '满意' END,
                   created + ({hours})[cat] * interval '1 hour', NULL, NULL, NULL, created,
                   CASE WHEN status IN ('claimed', 'resolved', 'closed') THEN claim_at END,
                   CASE WHEN status IN ('resolved', 'closed') THEN resolve_at END,
                   CASE WHEN status = 'closed' THEN close_at END,
                   CASE status WHEN 'submitted' THEN 1 WHEN 'dispatched' THEN 2
                        WHEN 'claimed' THEN 3 WHEN 'resolved' THEN 4 WHEN 'closed' THEN 5
                        ELSE 3 END
            FROM ({shaped}) a
            RETURNING id, status, source, created_at, claimed_at, resolved_at, closed_at,
                      submitter_id, assignee_id, handler_id
            )
            -- the timeline the state machine would have written, an entry per transition
            INSERT INTO timeline (appeal_id, at, actor_id, action, from_status, to_status, note)
            SELECT a.id, t.at, t.actor, t.action, t.from_status, t.to_status, t.note
            FROM inserted a
            CROSS JOIN LATERAL (VALUES
                (1, a.created_at, coalesce(a.submitter_id, a.assignee_id), 'submit', NULL,
                    'submitted', 'from ' || a.source),
                (2, a.created_at, NULL, 'dispatch', 'submitted', 'dispatched',
                    'routed to the grid worker'),
                (3, a.claimed_at, a.handler_id, 'claim', 'dispatched', 'claimed', ''),
                (4, a.resolved_at, a.handler_id, 'resolve', 'claimed', 'resolved', '已处理'),
                (5, a.closed_at, a.submitter_id, 'close', 'resolved', 'closed', 'rated'),
                (6, a.created_at + interval '5 hours', a.assignee_id, 'reject', 'dispatched',
                    'rejected', '不属于受理范围'),
                (7, a.created_at + interval '3 hours', a.submitter_id, 'withdraw', 'dispatched',
                    'withdrawn', '')
            ) AS t(k, at, actor, action, from_status, to_status, note)
            WHERE CASE t.k
                  WHEN 1 THEN true
                  WHEN 2 THEN a.status <> 'submitted'
                  WHEN 3 THEN a.claimed_at IS NOT NULL
                  WHEN 4 THEN a.resolved_at IS NOT NULL
                  WHEN 5 THEN a.closed_at IS NOT NULL
                  WHEN 6 THEN a.status = 'rejected'
                  WHEN 7 THEN a.status = 'withdrawn'
              END"""
        self._bulk(
            "appeals",
            ["appeals", "timeline"],
            [sql],
            {"street": self.street_id, "start": self.start, "now": self.now},
        )
        self._analyze("appeals", ["appeals", "timeline"])

    # -- money ----------------------------------------------------------------------

    def load_funds(self):
        L = self.layout
        R = L.residents_per_community
        self._run(
            "funding",
            [
                f"""INSERT INTO funds (id, name, community_id, street_id, created_by, created_at)
                SELECT {self.uid("fund", "c")}, '共建实践金', {self.uid("community", "c")}, :street,
                       {self.uid("person", f"c * {R} + {self.ADMIN}")}, {T0}
                FROM generate_series(0::bigint, {L.communities - 1}) c"""
            ],
            {"street": self.street_id, "start": self.start},
        )

    def load_ledger(self, part):
        """Donations and paid grants; one in ten transactions is a grant."""
        L = self.layout
        R = L.residents_per_community
        uid = self.uid
        step_seconds = SPAN.total_seconds() / L.transactions
        channels, purposes = _array(CHANNELS), _array(GRANT_PURPOSES)
        staging = f"""
            CREATE TEMP TABLE moves AS
            SELECT t, f, at, kind, amount, channel, purpose, who, h,
                   {uid("ledger-tx", "t")} AS tx_id,
                   {uid("fund", "f")} AS fund_id,
                   {uid("person", f"f * {R} + {self.ADMIN}")} AS admin_id,
                   {uid("person", f"f * {R} + {self.TREASURER}")} AS treasurer_id,
                   {uid("person", f"f * {R} + h % {R}")} AS donor_id
            FROM (
                SELECT t, (t / 10) % {L.communities} AS f,
                       {T0} + t * {step_seconds} * interval '1 second' AS at,
                       CASE WHEN (t * 2654435761) % 4294967291 % 10 = 3 THEN 'grant'
                            ELSE 'donation' END AS kind,
                       CASE WHEN (t * 2654435761) % 4294967291 % 10 = 3
                            THEN 100 + (t * 48271) % 2147483647 % 20000
                            ELSE 100 + (t * 48271) % 2147483647 % 200000 END AS amount,
                       ({channels})[1 + (t * 69069 + 1) % 1000003 % {len(CHANNELS)}] AS channel,
                       ({purposes})[1 + (t * 40503 + 17) % 65521 % {len(GRANT_PURPOSES)}]
                           AS purpose,
                       (t * 40503 + 17) % 65521 % 10 AS who,
                       (t * 69069 + 1) % 1000003 AS h
                FROM generate_series(1::bigint, {L.transactions}) t
                WHERE {self._phase("t", part)}
            ) s"""
        statements = [
            "DROP TABLE IF EXISTS moves",
            staging,
            """INSERT INTO ledger_transactions (id, fund_id, kind, memo, reverses_id, posted_by,
                                               posted_at)
            SELECT tx_id, fund_id, CASE kind WHEN 'grant' THEN 'grant_payment' ELSE 'donation' END,
                   CASE kind WHEN 'grant' THEN 'grant for ' || purpose
                        ELSE channel || ' donation' END,
                   NULL, treasurer_id, at
            FROM moves ORDER BY t""",
            """INSERT INTO ledger_entries (transaction_id, fund_id, account, amount)
            SELECT tx_id, fund_id, leg.account, leg.amount
            FROM moves CROSS JOIN LATERAL (VALUES
                (1, CASE kind WHEN 'grant' THEN 'available' ELSE 'income:' || channel END,
                    -amount),
                (2, CASE kind WHEN 'grant' THEN 'spent:grant:' || purpose ELSE 'available' END,
                    amount)
            ) AS leg(k, account, amount)
            ORDER BY t, leg.k""",
            f"""INSERT INTO donations (id, fund_id, channel, amount, donor_kind, donor_id,
                                      donor_name, show_name, project_id, note, transaction_id,
                                      recorded_by, received_at)
            SELECT {uid("donation", "t")}, fund_id, channel, amount,
                   CASE WHEN who < 6 THEN 'person' WHEN who < 9 THEN 'anonymous'
                        ELSE 'member_org' END,
                   CASE WHEN who < 6 THEN donor_id END,
                   CASE WHEN who < 6 THEN '居民' || (f * {R} + h % {R})
                        WHEN who >= 9 THEN '共建单位' || (h % 50) END,
                   who < 9 AND who % 2 = 0 AND who <> 6 AND who <> 8,
                   NULL, '', tx_id, treasurer_id, at
            FROM moves WHERE kind = 'donation'""",
            f"""INSERT INTO grants (id, fund_id, purpose, beneficiary_name, beneficiary_id, amount,
                                   reason, status, applied_by, applied_at, transaction_id, paid_at,
                                   version)
            SELECT {uid("grant", "t")}, fund_id, purpose, '受助人' || t, NULL, amount,
                   '三救三扶三奖', 'paid', admin_id, at - interval '3 days', tx_id, at, 4
            FROM moves WHERE kind = 'grant'""",
            f"""INSERT INTO grant_decisions (grant_id, person_id, name, decision, comment,
                                            decided_at)
            SELECT {uid("grant", "t")}, d.person, d.name, 'approve', '', at - d.before
            FROM moves CROSS JOIN LATERAL (VALUES
                (admin_id, '社区管理员', interval '2 days'),
                (treasurer_id, '出纳', interval '1 day')
            ) AS d(person, name, before)
            WHERE kind = 'grant'""",
            # the balances the service keeps in step, summed from this phase's entries
            """INSERT INTO balances (fund_id, account, balance)
            SELECT fund_id, account, sum(amount) FROM (
                SELECT fund_id, 'available' AS account,
                       CASE kind WHEN 'grant' THEN -amount ELSE amount END AS amount FROM moves
                UNION ALL
                SELECT fund_id, CASE kind WHEN 'grant' THEN 'spent:grant:' || purpose
                                     ELSE 'income:' || channel END,
                       CASE kind WHEN 'grant' THEN amount ELSE -amount END FROM moves
            ) legs GROUP BY fund_id, account
            ON CONFLICT (fund_id, account) DO UPDATE
                SET balance = balances.balance + excluded.balance""",
            "DROP TABLE moves",
        ]
        tables = ["ledger_transactions", "ledger_entries", "donations", "grants", "grant_decisions"]
        self._bulk("funding", tables, statements, {"start": self.start})
        self._analyze(
            "funding", ["ledger_transactions", "ledger_entries", "donations", "grants", "balances"]
        )

    def _analyze(self, service, tables):
        """What autovacuum would do before long: statistics for the planner, and the
        visibility map that lets an index answer alone."""
        connection = pg_admin.connect(self.urls[service])
        try:
            for table in tables:
                began = time.perf_counter()
                connection.run(f"VACUUM ANALYZE {table}")
                self.timings.append(
                    (service, f"VACUUM ANALYZE {table}", time.perf_counter() - began)
                )
        finally:
            connection.close()

    # -- checks ---------------------------------------------------------------------

    def verify(self):
        """The invariants the services keep, checked on what was loaded: a list of
        problems, empty when all is well."""
        problems = []

        def expect(service, what, sql, wanted=0, **params):
            got = self._scalar(service, sql, **params)
            if got != wanted:
                problems.append(f"{service}: {what}: {got} (expected {wanted})")

        L = self.layout
        street = {"street": self.street_id}
        expect(
            "grid",
            "loaded people",
            "SELECT count(*) FROM people WHERE phone LIKE '16%'",
            L.communities * L.residents_per_community,
        )
        expect(
            "grid",
            "grids without exactly one worker",
            "SELECT count(*) FROM grids g WHERE (SELECT count(*) FROM grid_roles r "
            "WHERE r.grid_id = g.id AND r.role = 'grid_worker') <> 1 AND g.community_id IN "
            "(SELECT id FROM communities WHERE street_id = :street)",
            **street,
        )
        expect(
            "grid",
            "households without a resident",
            "SELECT count(*) FROM households h WHERE NOT EXISTS "
            "(SELECT 1 FROM people p WHERE p.household_id = h.id)",
        )
        expect(
            "grid",
            "grid workers living outside their grid",
            "SELECT count(*) FROM grid_roles r JOIN people p ON p.id = r.person_id "
            "JOIN households h ON h.id = p.household_id JOIN units u ON u.id = h.unit_id "
            "JOIN buildings b ON b.id = u.building_id WHERE b.grid_id <> r.grid_id",
        )
        expect(
            "appeals",
            "appeals in an impossible state",
            "SELECT count(*) FROM appeals WHERE street_id = :street AND NOT ("
            "status IN ('submitted','dispatched','claimed','resolved','closed','rejected',"
            "'withdrawn') AND (rating IS NULL) = (status <> 'closed') "
            "AND (claimed_at IS NULL) = (status NOT IN ('claimed','resolved','closed')) "
            "AND (resolved_at IS NULL) = (status NOT IN ('resolved','closed')) "
            "AND (closed_at IS NULL) = (status <> 'closed') "
            "AND coalesce(claimed_at, created_at) >= created_at "
            "AND coalesce(resolved_at, claimed_at, created_at) >= coalesce(claimed_at, created_at) "
            "AND coalesce(closed_at, resolved_at, created_at) >= coalesce(resolved_at, created_at) "
            "AND (assignee_id IS NULL) = (status = 'submitted'))",
            **street,
        )
        expect(
            "appeals",
            "open appeals past their deadline",
            "SELECT count(*) FROM appeals WHERE street_id = :street AND deadline_at < now() "
            "AND status IN ('submitted', 'dispatched', 'claimed')",
            **street,
        )
        expect(
            "appeals",
            "appeals whose timeline does not end in their status",
            "SELECT count(*) FROM appeals a WHERE street_id = :street AND a.status <> "
            "(SELECT t.to_status FROM timeline t WHERE t.appeal_id = a.id "
            "ORDER BY t.at DESC, t.id DESC LIMIT 1)",
            **street,
        )
        expect(
            "appeals",
            "appeal numbers the counter would hand out again",
            "SELECT count(*) FROM appeals a JOIN counters c "
            "ON c.key = 'appeal-number-' || split_part(a.number, '-', 1) "
            "WHERE split_part(a.number, '-', 2)::int > c.value",
        )
        expect(
            "funding",
            "ledger transactions that do not sum to zero",
            "SELECT count(*) FROM (SELECT transaction_id FROM ledger_entries "
            "GROUP BY transaction_id HAVING sum(amount) <> 0) t",
        )
        expect(
            "funding",
            "balances that are not the sum of their entries",
            "SELECT count(*) FROM balances b FULL JOIN (SELECT fund_id, account, sum(amount) s "
            "FROM ledger_entries GROUP BY fund_id, account) e "
            "ON e.fund_id = b.fund_id AND e.account = b.account "
            "WHERE coalesce(b.balance, 0) <> coalesce(e.s, 0)",
        )
        expect(
            "funding",
            "accounts holding money below zero",
            "SELECT count(*) FROM balances WHERE balance < 0 AND (account = 'available' "
            "OR account LIKE 'earmarked:%' OR account LIKE 'project:%')",
        )
        expect(
            "funding",
            "transactions without their donation or grant",
            "SELECT count(*) FROM ledger_transactions t WHERE NOT EXISTS "
            "(SELECT 1 FROM donations d WHERE d.transaction_id = t.id) AND NOT EXISTS "
            "(SELECT 1 FROM grants g WHERE g.transaction_id = t.id)",
        )
        return problems

    def counts(self):
        """Rows in the databases now, for the report."""
        return {
            "communities": self._scalar(
                "grid", "SELECT count(*) FROM communities WHERE street_id = :s", s=self.street_id
            ),
            "residents": self._scalar("grid", "SELECT count(*) FROM people WHERE phone LIKE '16%'"),
            "households": self._scalar("grid", "SELECT count(*) FROM households"),
            "appeals": self._scalar(
                "appeals", "SELECT count(*) FROM appeals WHERE street_id = :s", s=self.street_id
            ),
            "timeline_entries": self._scalar("appeals", "SELECT count(*) FROM timeline"),
            "ledger_entries": self._scalar("funding", "SELECT count(*) FROM ledger_entries"),
            "donations": self._scalar("funding", "SELECT count(*) FROM donations"),
        }
