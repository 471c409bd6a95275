"""Routes of appeals: 群众点单 → 网格派单 → 接单 → 群众评单."""

from yzw_kernel.contracts import appeals as a

from .http import api, body_as_sent, query_as_sent


class AppealRoutes:
    @property
    def appeals(self):
        return self.services.appeals

    def principal_of(self, person_id):
        """Who is asking, as grid knows them: one hop, then the service decides."""
        return self.grid.principal(person_id)

    @api(
        "POST",
        "/appeals",
        summary="Raise an appeal 群众点单",
        tag="appeals",
        audience="signed_in",
        body=a.AppealIn,
        response=a.AppealOut,
        status=201,
        errors=(404,),
    )
    def submit_appeal(self, request, principal, body):
        return self.appeals.submit(self.principal_of(principal), body_as_sent(request))

    @api(
        "GET",
        "/appeals",
        summary="Appeals I may see, newest first, filtered, by cursor",
        tag="appeals",
        audience="signed_in",
        query=a.AppealQuery,
        response=a.AppealPageOut,
    )
    def list_appeals(self, request, principal, body):
        return self.appeals.list(self.principal_of(principal), query_as_sent(request))

    @api(
        "GET",
        "/appeals/{appeal_id}",
        summary="An appeal with its timeline",
        tag="appeals",
        audience="signed_in",
        response=a.AppealOut,
    )
    def get_appeal(self, request, principal, body, appeal_id):
        return self.appeals.get(self.principal_of(principal), appeal_id)

    @api(
        "POST",
        "/appeals/{appeal_id}/dispatch",
        summary="Dispatch to a handler 网格派单: a person on the community's staff or a party "
        "member living there, one of its teams or member organisations, a department of "
        "its street; anything else is 404",
        tag="appeals",
        body=a.DispatchIn,
        response=a.AppealOut,
        errors=(409,),
    )
    def dispatch_appeal(self, request, principal, body, appeal_id):
        return self.appeals.dispatch(self.principal_of(principal), appeal_id, body_as_sent(request))

    @api(
        "POST",
        "/appeals/{appeal_id}/claim",
        summary="Take the appeal on 接单",
        tag="appeals",
        audience="signed_in",
        response=a.AppealOut,
        errors=(409,),
    )
    def claim_appeal(self, request, principal, body, appeal_id):
        return self.appeals.claim(self.principal_of(principal), appeal_id)

    @api(
        "POST",
        "/appeals/{appeal_id}/resolve",
        summary="Resolve it 办结",
        tag="appeals",
        audience="signed_in",
        body=a.ResolveIn,
        response=a.AppealOut,
        errors=(409,),
    )
    def resolve_appeal(self, request, principal, body, appeal_id):
        return self.appeals.resolve(self.principal_of(principal), appeal_id, body_as_sent(request))

    @api(
        "POST",
        "/appeals/{appeal_id}/rate",
        summary="Rate the result 评单: 3+ closes it, 2 or lower reopens it 重办",
        tag="appeals",
        audience="signed_in",
        body=a.RateIn,
        response=a.AppealOut,
        errors=(409,),
    )
    def rate_appeal(self, request, principal, body, appeal_id):
        return self.appeals.rate(self.principal_of(principal), appeal_id, body_as_sent(request))

    @api(
        "POST",
        "/appeals/{appeal_id}/reject",
        summary="Reject with a reason",
        tag="appeals",
        body=a.ReasonIn,
        response=a.AppealOut,
        errors=(409,),
    )
    def reject_appeal(self, request, principal, body, appeal_id):
        return self.appeals.reject(self.principal_of(principal), appeal_id, body_as_sent(request))

    @api(
        "POST",
        "/appeals/{appeal_id}/withdraw",
        summary="Withdraw my appeal",
        tag="appeals",
        audience="signed_in",
        response=a.AppealOut,
        errors=(409,),
    )
    def withdraw_appeal(self, request, principal, body, appeal_id):
        return self.appeals.withdraw(self.principal_of(principal), appeal_id, {})

    @api(
        "POST",
        "/appeals/{appeal_id}/escalate",
        summary="Escalate one level (grid → community → street → department)",
        tag="appeals",
        body=a.ReasonIn,
        response=a.AppealOut,
        errors=(409,),
    )
    def escalate_appeal(self, request, principal, body, appeal_id):
        return self.appeals.escalate(self.principal_of(principal), appeal_id, body_as_sent(request))

    @api(
        "POST",
        "/appeals/{appeal_id}/return",
        summary="Hand it back to the grid's queue 退单",
        tag="appeals",
        audience="signed_in",
        body=a.ReasonIn,
        response=a.AppealOut,
        errors=(409,),
    )
    def return_appeal(self, request, principal, body, appeal_id):
        return self.appeals.return_appeal(
            self.principal_of(principal), appeal_id, body_as_sent(request)
        )

    @api(
        "POST",
        "/appeals/{appeal_id}/extension",
        summary="Ask for more days 延期",
        tag="appeals",
        audience="signed_in",
        body=a.ExtensionIn,
        response=a.AppealOut,
        errors=(409,),
    )
    def request_extension(self, request, principal, body, appeal_id):
        return self.appeals.request_extension(
            self.principal_of(principal), appeal_id, body_as_sent(request)
        )

    @api(
        "POST",
        "/appeals/{appeal_id}/extension/grant",
        summary="Grant the days asked for",
        tag="appeals",
        response=a.AppealOut,
        errors=(409,),
    )
    def grant_extension(self, request, principal, body, appeal_id):
        return self.appeals.grant_extension(self.principal_of(principal), appeal_id)

    @api(
        "POST",
        "/appeals/{appeal_id}/urge",
        summary="Urge an overdue appeal 催办",
        tag="appeals",
        audience="signed_in",
        response=a.AppealOut,
        errors=(409,),
    )
    def urge_appeal(self, request, principal, body, appeal_id):
        return self.appeals.urge(self.principal_of(principal), appeal_id)
