"""The container health check `wait_for rpc:<service>` over real RabbitMQ."""

import pytest
from nameko.rpc import rpc

from yzw_kernel.wait_for import check_rpc


class Healthy:
    name = "healthprobe"

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok"}


class Failing:
    name = "healthprobe"

    @rpc
    def health(self):
        raise RuntimeError("database unreachable")


def test_a_running_service_answers_and_the_check_leaves_no_queue(
    rabbit_config, rabbit_manager, container_factory
):
    container_factory(Healthy, rabbit_config).start()
    check_rpc("healthprobe", rabbit_config["AMQP_URI"], 5)
    queues = [q["name"] for q in rabbit_manager.get_queues(rabbit_config["vhost"])]
    assert queues and not [name for name in queues if "healthcheck" in name]


def test_a_failing_health_check_and_a_missing_service_are_not_ready(
    rabbit_config, container_factory
):
    uri = rabbit_config["AMQP_URI"]
    with pytest.raises(Exception, match="NO_ROUTE|did not answer"):
        check_rpc("healthprobe", uri, 2)
    container_factory(Failing, rabbit_config).start()
    with pytest.raises(RuntimeError, match="database unreachable"):
        check_rpc("healthprobe", uri, 5)
