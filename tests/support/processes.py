"""Services as real `nameko run` processes, and what the broker says about them.

Every process runs in its own session (process group), so a test can stop one
with SIGTERM as an operator would, and kill whatever is left with `killpg`.
RabbitMQ's management API names each consumer's connection by its peer
port; `local_ports(pid)` maps such a port back to the process that owns it.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

TARGETS = {
    "grid": ("services/grid/config.yml", "grid.service:GridService"),
    "appeals": ("services/appeals/config.yml", "appeals.service:AppealsService"),
    "volunteer": ("services/volunteer/config.yml", "volunteer.service:VolunteerService"),
    "funding": ("services/funding/config.yml", "funding.service:FundingService"),
    "gateway": ("gateway/config.yml", "gateway.service:GatewayService"),
}


class ServiceProcess:
    """One `nameko run` of one service; `label` is e.g. "volunteer#1". `target`
    is (config file, "module:Class") for a service that is not in TARGETS."""

    def __init__(self, service, index, env, log_dir, target=None):
        self.service = service
        self.index = index
        self.env = env
        self.log_dir = Path(log_dir)
        self.target = target or TARGETS[service]
        self.process = None
        self.runs = 0

    @property
    def label(self):
        return f"{self.service}#{self.index}"

    @property
    def pid(self):
        return self.process.pid

    @property
    def log_path(self):
        return self.log_dir / f"{self.service}-{self.index}-{self.runs}.log"

    def start(self):
        config, target = self.target
        self.runs += 1
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [str(BIN / "nameko"), "run", "--config", str(ROOT / config), target],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def terminate(self):
        """SIGTERM, as docker stop or systemd sends it."""
        self.process.send_signal(signal.SIGTERM)

    def wait(self, timeout):
        return self.process.wait(timeout=timeout)

    def kill(self):
        """Kill the whole process group; the process is reaped."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a zombie we cannot reap
            pass

    def log_tail(self, lines=30):
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _socket_inodes(pid):
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        entries = list(fd_dir.iterdir())
    except OSError:
        return inodes
    for entry in entries:
        try:
            target = os.readlink(entry)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def local_ports(pid):
    """The local TCP ports of the process's sockets (Linux /proc)."""
    inodes = _socket_inodes(pid)
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) > 9 and fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


class Management:
    """A few calls of RabbitMQ's management HTTP API for one vhost."""

    def __init__(self, api_uri, vhost):
        self.api = api_uri.rstrip("/") + "/api"
        self.vhost = vhost
        self.http = requests.Session()

    def _get(self, path):
        response = self.http.get(self.api + path, timeout=10)
        response.raise_for_status()
        return response.json()

    def consumers(self):
        return self._get(f"/consumers/{quote(self.vhost, safe='')}")

    def channel(self, name):
        return self._get(f"/channels/{quote(name, safe='')}")

    def queue(self, name):
        return self._get(f"/queues/{quote(self.vhost, safe='')}/{quote(name, safe='')}")
