"""Alembic environment of the funding service."""

from funding.models import metadata
from yzw_kernel.migrations import run_env

run_env(metadata)
