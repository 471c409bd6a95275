"""Routes of the 共建实践金 co-building fund: money in, grants and 定向投 projects out,
and the public ledger and report."""

import re

from werkzeug.wrappers import Response

from yzw_kernel.contracts import funding as f
from yzw_kernel.contracts.paging import PageQuery

from .http import api, body_as_sent, header_parameter, query_as_sent
from .schemas import FundQuery

IDEMPOTENCY_KEY = header_parameter(
    "Idempotency-Key",
    "any unique string per donation: a retry with the same key and body is recorded once "
    "and answers the first answer; the same key with another body is 409",
    max_length=200,
)


class FundingRoutes:
    @property
    def funding(self):
        return self.services.funding

    # -- funds and money in ----------------------------------------------------

    @api(
        "POST",
        "/funds",
        summary="Open a fund 共建实践金 for a community or a street (its admins)",
        tag="funds",
        body=f.FundIn,
        response=f.FundOut,
        status=201,
        errors=(404, 409),
    )
    def create_fund(self, request, principal, body):
        return self.funding.create_fund(self.principal_of(principal), body_as_sent(request))

    @api(
        "GET",
        "/funds",
        summary="A community's funds",
        tag="funds",
        audience="signed_in",
        query=FundQuery,
        response=f.FundOut,
        many=True,
    )
    def list_funds(self, request, principal, body):
        return self.funding.list_funds(self.principal_of(principal), body["community_id"])

    @api(
        "GET",
        "/funds/{fund_id}",
        summary="A fund and its balances",
        tag="funds",
        audience="signed_in",
        response=f.FundOut,
    )
    def get_fund(self, request, principal, body, fund_id):
        return self.funding.get_fund(self.principal_of(principal), fund_id)

    @api(
        "POST",
        "/funds/{fund_id}/donations",
        summary="Record a donation by channel (treasurer); retried safely with an Idempotency-Key",
        tag="funds",
        audience="treasurer",
        body=f.DonationIn,
        response=f.DonationOut,
        status=201,
        errors=(409,),
        parameters=[IDEMPOTENCY_KEY],
    )
    def donate(self, request, principal, body, fund_id):
        return self.funding.donate(
            self.principal_of(principal),
            fund_id,
            body_as_sent(request),
            idempotency_key=request.headers.get("Idempotency-Key"),
        )

    @api(
        "GET",
        "/funds/{fund_id}/donations",
        summary="A fund's donations and donors, oldest first, by cursor (treasurer or admin)",
        tag="funds",
        query=PageQuery,
        response=f.DonationPageOut,
    )
    def list_donations(self, request, principal, body, fund_id):
        return self.funding.list_donations(
            self.principal_of(principal), fund_id, query_as_sent(request)
        )

    @api(
        "POST",
        "/funds/{fund_id}/in-kind",
        summary="Register an in-kind gift with its valuation (treasurer)",
        tag="funds",
        audience="treasurer",
        body=f.InKindIn,
        response=f.InKindOut,
        status=201,
        errors=(409,),
    )
    def register_in_kind(self, request, principal, body, fund_id):
        return self.funding.register_in_kind(
            self.principal_of(principal), fund_id, body_as_sent(request)
        )

    @api(
        "GET",
        "/funds/{fund_id}/in-kind",
        summary="A fund's in-kind gifts, newest first, by cursor (the community's staff)",
        tag="funds",
        query=PageQuery,
        response=f.InKindPageOut,
    )
    def list_in_kind(self, request, principal, body, fund_id):
        return self.funding.list_in_kind(
            self.principal_of(principal), fund_id, query_as_sent(request)
        )

    @api(
        "POST",
        "/funds/{fund_id}/transactions/{transaction_id}/reversal",
        summary="Correct a ledger transaction by a reversing one, with a reason (treasurer)",
        tag="funds",
        audience="treasurer",
        body=f.ReversalIn,
        response=f.TransactionOut,
        status=201,
        errors=(409,),
    )
    def reverse(self, request, principal, body, fund_id, transaction_id):
        return self.funding.reverse(
            self.principal_of(principal), fund_id, transaction_id, body_as_sent(request)
        )

    # -- what anybody may read ---------------------------------------------------

    @api(
        "GET",
        "/funds/{fund_id}/ledger",
        summary="A fund's double-entry ledger, oldest transaction first, by cursor (no login)",
        tag="funds",
        query=PageQuery,
        response=f.TransactionPageOut,
        auth=False,
    )
    def ledger(self, request, principal, body, fund_id):
        return self.funding.ledger(fund_id, query_as_sent(request))

    @api(
        "GET",
        "/funds/{fund_id}/ledger.csv",
        summary="The ledger as CSV, one row per entry (no login)",
        tag="funds",
        auth=False,
    )
    def ledger_csv(self, request, principal, body, fund_id):
        text = self.funding.ledger_csv(fund_id)
        filename = "fund-" + re.sub(r"[^A-Za-z0-9_-]", "", fund_id) + "-ledger.csv"
        return Response(
            text,
            status=200,
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @api(
        "GET",
        "/funds/{fund_id}/report",
        summary="The public transparency report: income, in-kind, spending, projects (no login)",
        tag="funds",
        response=f.ReportOut,
        auth=False,
    )
    def report(self, request, principal, body, fund_id):
        return self.funding.report(fund_id)

    # -- grants 三救三扶三奖 --------------------------------------------------------

    @api(
        "POST",
        "/grants",
        summary="Apply for a grant 三救三扶三奖 on a beneficiary's behalf (community staff)",
        tag="grants",
        body=f.GrantIn,
        response=f.GrantOut,
        status=201,
        errors=(404,),
    )
    def apply_grant(self, request, principal, body):
        return self.funding.apply_grant(self.principal_of(principal), body_as_sent(request))

    @api(
        "GET",
        "/grants",
        summary="A fund's grants, by status, oldest first, by cursor",
        tag="grants",
        query=f.GrantQuery,
        response=f.GrantPageOut,
        errors=(404,),
    )
    def list_grants(self, request, principal, body):
        return self.funding.list_grants(self.principal_of(principal), query_as_sent(request))

    @api(
        "GET",
        "/grants/{grant_id}",
        summary="A grant and its approvals",
        tag="grants",
        audience="signed_in",
        response=f.GrantOut,
    )
    def get_grant(self, request, principal, body, grant_id):
        return self.funding.get_grant(self.principal_of(principal), grant_id)

    @api(
        "POST",
        "/grants/{grant_id}/approve",
        summary="Approve a grant (treasurer or admin); two different people approve before payment",
        tag="grants",
        body=f.GrantDecisionIn,
        response=f.GrantOut,
        errors=(409,),
    )
    def approve_grant(self, request, principal, body, grant_id):
        return self.funding.approve_grant(
            self.principal_of(principal), grant_id, body_as_sent(request)
        )

    @api(
        "POST",
        "/grants/{grant_id}/reject",
        summary="Reject a grant, with a comment (treasurer or admin)",
        tag="grants",
        body=f.GrantDecisionIn,
        response=f.GrantOut,
        errors=(409,),
    )
    def reject_grant(self, request, principal, body, grant_id):
        return self.funding.reject_grant(
            self.principal_of(principal), grant_id, body_as_sent(request)
        )

    @api(
        "POST",
        "/grants/{grant_id}/pay",
        summary="Pay an approved grant from what the fund has available (treasurer)",
        tag="grants",
        audience="treasurer",
        response=f.GrantOut,
        errors=(409,),
    )
    def pay_grant(self, request, principal, body, grant_id):
        return self.funding.pay_grant(self.principal_of(principal), grant_id)

    # -- 定向投 projects -----------------------------------------------------------

    @api(
        "POST",
        "/projects",
        summary="Propose a 定向投 project directly (community admin)",
        tag="projects",
        body=f.ProjectIn,
        response=f.ProjectOut,
        status=201,
        errors=(404,),
    )
    def create_project(self, request, principal, body):
        return self.funding.create_project(self.principal_of(principal), body_as_sent(request))

    @api(
        "GET",
        "/projects",
        summary="A community's projects, by status, oldest first, by cursor",
        tag="projects",
        audience="signed_in",
        query=f.ProjectQuery,
        response=f.ProjectPageOut,
    )
    def list_projects(self, request, principal, body):
        return self.funding.list_projects(self.principal_of(principal), query_as_sent(request))

    @api(
        "GET",
        "/projects/{project_id}",
        summary="A project, its budget, funding, claims and spend",
        tag="projects",
        audience="signed_in",
        response=f.ProjectOut,
    )
    def get_project(self, request, principal, body, project_id):
        return self.funding.get_project(self.principal_of(principal), project_id)

    @api(
        "POST",
        "/projects/{project_id}/assess",
        summary="Record the survey 调研评估: proposed → assessed (community admin)",
        tag="projects",
        body=f.AssessIn,
        response=f.ProjectOut,
        errors=(409,),
    )
    def assess_project(self, request, principal, body, project_id):
        return self.funding.assess_project(
            self.principal_of(principal), project_id, body_as_sent(request)
        )

    @api(
        "POST",
        "/projects/{project_id}/approve",
        summary="Approve with a budget on a fund: assessed → approved (community admin)",
        tag="projects",
        body=f.ApproveIn,
        response=f.ProjectOut,
        errors=(409,),
    )
    def approve_project(self, request, principal, body, project_id):
        return self.funding.approve_project(
            self.principal_of(principal), project_id, body_as_sent(request)
        )

    @api(
        "POST",
        "/projects/{project_id}/fund",
        summary="Allocate the budget from the fund (treasurer): approved → funded",
        tag="projects",
        audience="treasurer",
        response=f.ProjectOut,
        errors=(409,),
    )
    def fund_project(self, request, principal, body, project_id):
        return self.funding.fund_project(self.principal_of(principal), project_id)

    @api(
        "POST",
        "/projects/{project_id}/claims",
        summary="Record a part claimed 认领 by an organisation or the community (community admin)",
        tag="projects",
        body=f.ClaimIn,
        response=f.ProjectOut,
        status=201,
        errors=(409,),
    )
    def claim_project(self, request, principal, body, project_id):
        return self.funding.claim_project(
            self.principal_of(principal), project_id, body_as_sent(request)
        )

    @api(
        "POST",
        "/projects/{project_id}/start",
        summary="Start the work: funded or claimed → in progress (community admin)",
        tag="projects",
        response=f.ProjectOut,
        errors=(409,),
    )
    def start_project(self, request, principal, body, project_id):
        return self.funding.start_project(self.principal_of(principal), project_id)

    @api(
        "POST",
        "/projects/{project_id}/complete",
        summary="Complete with beneficiaries and actual spend (treasurer); its appeals resolve",
        tag="projects",
        audience="treasurer",
        body=f.CompleteIn,
        response=f.ProjectOut,
        errors=(409,),
    )
    def complete_project(self, request, principal, body, project_id):
        return self.funding.complete_project(
            self.principal_of(principal), project_id, body_as_sent(request)
        )
