"""Schemas the gateway owns: login, health, queries, the community dashboard and the error body."""

from marshmallow import Schema, fields, validate

from yzw_kernel.contracts.appeals import StatsOut
from yzw_kernel.contracts.funding import FundSummaryOut
from yzw_kernel.contracts.grid import CoverageOut, PersonOut
from yzw_kernel.contracts.volunteer import CommunitySummaryOut
from yzw_kernel.validation import String


class LoginOut(Schema):
    token = fields.String(required=True)
    person = fields.Nested(PersonOut, required=True)
    device = fields.String(
        required=True,
        metadata={
            "description": "this device's token: send it as X-Device when logging in "
            "again, so that others' failed logins for your phone do not slow you"
        },
    )


class ServiceHealth(Schema):
    status = fields.String(required=True, metadata={"description": "ok or down"})
    message = fields.String()


class HealthOut(Schema):
    status = fields.String(required=True)
    broker = fields.Nested(ServiceHealth, required=True)
    services = fields.Dict(keys=fields.String(), values=fields.Nested(ServiceHealth), required=True)


class FundQuery(Schema):
    community_id = String(required=True, validate=validate.Length(min=1, max=36))


class DashboardOut(Schema):
    """平台大数据分析: a community in one answer; a part whose service is down is null."""

    community_id = fields.String(required=True)
    coverage = fields.Nested(CoverageOut, allow_none=True, required=True)
    appeals = fields.Nested(StatsOut, allow_none=True, required=True)
    volunteer = fields.Nested(CommunitySummaryOut, allow_none=True, required=True)
    funds = fields.Nested(FundSummaryOut, allow_none=True, required=True)
    missing = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": "each part left null → why (its service is down or slow)"},
    )
    complete = fields.Boolean(required=True, metadata={"description": "no part is missing"})


class ErrorOut(Schema):
    error = fields.String(required=True, metadata={"description": "stable machine-readable code"})
    message = fields.String(required=True)
    field_errors = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "input field → list of problems"},
    )
