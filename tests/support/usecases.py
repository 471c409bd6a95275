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


def every_item(store, use_case, *args, query=None):
    """Every item of a paged list use case (`query` last), page after page."""
    query = {**(query or {}), "limit": 100}
    items = []
    while True:
        page = run(store, use_case, *args, query)
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        query["cursor"] = page["next_cursor"]
