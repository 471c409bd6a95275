"""The volunteer service's activity limits, read from its config and checked once when it
starts: a bad setting stops the start instead of failing every activity."""

from dataclasses import fields

from nameko.exceptions import ConfigurationError
from nameko.extensions import DependencyProvider

from .domain import ActivityLimits

# Each setting: its variable, and the least and most it may be.
SETTINGS = {
    "max_hours": ("ACTIVITY_MAX_HOURS", 1, 24 * 366),
    "max_stars_per_hour": ("ACTIVITY_MAX_STARS_PER_HOUR", 0, 100),  # ActivityIn's own bound
    "max_days_back": ("ACTIVITY_MAX_DAYS_BACK", 0, 366),
    "approval_above": ("ACTIVITY_APPROVAL_ABOVE_STARS", 0, 1_000_000_000),
}


def activity_limits(config):
    """ActivityLimits from the config's settings; unset ones keep their defaults."""
    values = {}
    for field in fields(ActivityLimits):
        name, least, most = SETTINGS[field.name]
        value = config.get(name)
        if value in (None, ""):
            continue
        try:
            number = int(str(value).strip())
        except ValueError:
            number = None
        if number is None or not least <= number <= most:
            raise ConfigurationError(
                f"{name} must be a whole number from {least} to {most}, not {value!r}"
            )
        values[field.name] = number
    return ActivityLimits(**values)


class ActivitySettings(DependencyProvider):
    """Gives a worker the service's ActivityLimits, read once when it starts."""

    def setup(self):
        self.limits = activity_limits(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.limits
