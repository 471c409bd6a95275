"""What the appeals service does when other services speak."""

from yzw_kernel.events import consumes

from . import app


class EventHandlers:
    @consumes("grid", "role_revoked")
    def on_role_revoked(self, tx, envelope):
        app.requeue_for_revoked_role(tx, envelope, self.settings)

    @consumes("funding", "project_completed")
    def on_project_completed(self, tx, envelope):
        app.resolve_for_completed_project(tx, envelope)
