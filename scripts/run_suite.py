"""`make run`: every service and the gateway on this machine, with a demo community.

Embedded defaults: a SQLite file per service under var/ (YZW_VAR_DIR names
another folder), RabbitMQ on localhost, the gateway on port 8000
(GATEWAY_PORT). Set AMQP_URI or <SERVICE>_DATABASE_URL to use others. The web
console is served from web/dist, which `make run` builds first. Ctrl-C stops
everything cleanly.
"""

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("YZW_VAR_DIR") or ROOT / "var").resolve()
BIN = Path(sys.executable).parent
PORT = os.environ.get("GATEWAY_PORT", "8000")

# (name, config file, service class); a service joins when its folder exists.
# The class is named: nameko would otherwise also try the mixins its module imports.
SERVICES = [
    ("grid", "services/grid/config.yml", "grid.service:GridService"),
    ("appeals", "services/appeals/config.yml", "appeals.service:AppealsService"),
    ("volunteer", "services/volunteer/config.yml", "volunteer.service:VolunteerService"),
    ("funding", "services/funding/config.yml", "funding.service:FundingService"),
]


def token_secret():
    """A secret kept in var/, so logins survive a restart of `make run`."""
    path = VAR / "token-secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def wait_healthy(url, processes, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for name, process in processes:
            if process.poll() is not None:
                raise SystemExit(f"run: {name} exited with code {process.returncode}; see above")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"run: the suite did not become healthy within {seconds}s ({url})")


def main():
    VAR.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("TOKEN_SECRET", token_secret())
    env.setdefault("GATEWAY_ADDRESS", f"0.0.0.0:{PORT}")
    env["PYTHONWARNINGS"] = "ignore"  # eventlet's and pkg_resources' notices, every start
    present = [s for s in SERVICES if (ROOT / s[1]).exists()]
    for name, _, _ in present:
        env.setdefault(f"{name.upper()}_DATABASE_URL", f"sqlite:///{VAR}/{name}.sqlite3")
    env["GATEWAY_SERVICES"] = ",".join(name for name, _, _ in present)

    print("run: migrating and loading the demo community ...", flush=True)
    demos = ["scripts/demo_community.py"]
    if "funding" in env["GATEWAY_SERVICES"].split(","):
        demos.append("scripts/demo_funding.py")
    for demo in demos:
        subprocess.run([str(BIN / "python"), str(ROOT / demo)], cwd=ROOT, env=env, check=True)

    processes = []

    def stop(*_):
        for _, process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _, process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
        print("run: stopped", flush=True)
        raise SystemExit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    gateway = ("gateway", "gateway/config.yml", "gateway.service:GatewayService")
    for name, config, target in [*present, gateway]:
        command = [str(BIN / "nameko"), "run", "--config", str(ROOT / config), target]
        # own process group: Ctrl-C reaches us, and we stop each child in order
        processes.append(
            (name, subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True))
        )

    health = f"http://127.0.0.1:{PORT}/api/v1/health"
    wait_healthy(health, processes)
    from demo_community import LOGINS, PASSWORD

    print(f"""
一张网 is running.
  Office:   http://127.0.0.1:{PORT}/            (community office console)
  Resident: http://127.0.0.1:{PORT}/h5          (phone page)
  API:      http://127.0.0.1:{PORT}/api/v1
  OpenAPI:  http://127.0.0.1:{PORT}/api/v1/openapi.json
  Health:   {health}
  Services: {env["GATEWAY_SERVICES"]}
Demo logins (password {PASSWORD}):""")
    for role, phone in LOGINS.items():
        print(f"  {role:13} {phone}")
    print("Ctrl-C stops everything.", flush=True)

    parent = os.getppid()
    while True:
        if os.getppid() != parent:  # make was stopped without us hearing it
            stop()
        for name, process in processes:
            if process.poll() is not None:
                print(f"run: {name} exited with code {process.returncode}; stopping", flush=True)
                stop()
        time.sleep(1)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
