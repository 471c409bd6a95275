"""Schemas the gateway owns: login, health, queries and the error body."""

from marshmallow import Schema, fields, validate

from yzw_kernel.contracts.grid import PersonOut


class LoginOut(Schema):
    token = fields.String(required=True)
    person = fields.Nested(PersonOut, required=True)


class ServiceHealth(Schema):
    status = fields.String(required=True, metadata={"description": "ok or down"})
    message = fields.String()


class HealthOut(Schema):
    status = fields.String(required=True)
    broker = fields.Nested(ServiceHealth, required=True)
    services = fields.Dict(keys=fields.String(), values=fields.Nested(ServiceHealth), required=True)


class FundQuery(Schema):
    community_id = fields.String(required=True, validate=validate.Length(min=1, max=36))


class ErrorOut(Schema):
    error = fields.String(required=True, metadata={"description": "stable machine-readable code"})
    message = fields.String(required=True)
    field_errors = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "input field → list of problems"},
    )
