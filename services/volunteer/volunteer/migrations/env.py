"""Alembic environment of the volunteer service."""

from volunteer.models import metadata
from yzw_kernel.migrations import run_env

run_env(metadata)
