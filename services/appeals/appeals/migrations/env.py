"""Alembic environment of the appeals service."""

from appeals.models import metadata
from yzw_kernel.migrations import run_env

run_env(metadata)
