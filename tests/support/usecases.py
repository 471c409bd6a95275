"""Running one service-layer use case in its own unit of work, as an entrypoint would."""

import pytest


def run(store, use_case, *args):
    with store.transaction() as tx:
        return use_case(tx, *args)


def refused(store, error, use_case, *args):
    """Run a use case that must fail with `error`; returns the error."""
    with pytest.raises(error) as raised:
        run(store, use_case, *args)
    return raised.value
