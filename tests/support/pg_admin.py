"""A plain pg8000 connection from a `postgresql://` URL: for making and dropping
databases and for bulk SQL, outside any service's engine."""

from urllib.parse import urlsplit

import pg8000.native


def connect(url):
    parts = urlsplit(url)
    return pg8000.native.Connection(
        user=parts.username or "postgres",
        password=parts.password,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        database=parts.path.lstrip("/") or "postgres",
    )
