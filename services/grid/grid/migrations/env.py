"""Alembic environment of the grid service."""

from grid.models import metadata
from yzw_kernel.migrations import run_env

run_env(metadata)
