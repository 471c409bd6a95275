"""A RabbitMQ vhost of a run's own, made and removed through the management API.

`api_uri` is the management root with its credentials, such as
http://guest:guest@127.0.0.1:15672; its user gets every right on the vhost.
"""

from urllib.parse import quote, urlsplit

import requests


def create_vhost(api_uri, name):
    api = api_uri.rstrip("/") + "/api"
    vhost = quote(name, safe="")
    requests.put(f"{api}/vhosts/{vhost}", timeout=30).raise_for_status()
    user = urlsplit(api_uri).username or "guest"
    requests.put(
        f"{api}/permissions/{vhost}/{user}",
        json={"configure": ".*", "write": ".*", "read": ".*"},
        timeout=30,
    ).raise_for_status()


def delete_vhost(api_uri, name):
    """Best effort: a broker that is away leaves the vhost behind, not a failed run."""
    try:
        requests.delete(f"{api_uri.rstrip('/')}/api/vhosts/{quote(name, safe='')}", timeout=30)
    except requests.RequestException:
        pass
