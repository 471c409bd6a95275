"""Routes of votes 有事来商量 (民事民议民决) and of needs grouped into project proposals."""

from yzw_kernel.contracts import appeals as a

from .http import api, body_as_sent, query_as_sent


class DeliberationRoutes:
    @api(
        "POST",
        "/appeals/{appeal_id}/deliberations",
        summary="Open a vote on an appeal 有事来商量 (staff of its level)",
        tag="deliberations",
        body=a.DeliberationIn,
        response=a.DeliberationOut,
        status=201,
        errors=(409,),
    )
    def open_deliberation(self, request, principal, body, appeal_id):
        return self.appeals.open_deliberation(
            self.principal_of(principal), appeal_id, body_as_sent(request)
        )

    @api(
        "GET",
        "/deliberations",
        summary="Votes I may take part in, of my grid, estate or building, newest first, by cursor",
        tag="deliberations",
        audience="signed_in",
        query=a.DeliberationQuery,
        response=a.DeliberationPageOut,
    )
    def list_deliberations(self, request, principal, body):
        return self.appeals.list_deliberations(self.principal_of(principal), query_as_sent(request))

    @api(
        "GET",
        "/deliberations/{deliberation_id}",
        summary="A vote: counts once it is closed; before, votes cast and my vote",
        tag="deliberations",
        audience="signed_in",
        response=a.DeliberationOut,
    )
    def get_deliberation(self, request, principal, body, deliberation_id):
        return self.appeals.get_deliberation(self.principal_of(principal), deliberation_id)

    @api(
        "POST",
        "/deliberations/{deliberation_id}/votes",
        summary="Vote, once, as a resident of the vote's scope 民事民议民决",
        tag="deliberations",
        audience="signed_in",
        body=a.VoteIn,
        response=a.DeliberationOut,
        status=201,
        errors=(409,),
    )
    def cast_vote(self, request, principal, body, deliberation_id):
        return self.appeals.vote(
            self.principal_of(principal), deliberation_id, body_as_sent(request)
        )

    @api(
        "POST",
        "/deliberations/{deliberation_id}/close",
        summary="Close a vote early and record its result (staff)",
        tag="deliberations",
        response=a.DeliberationOut,
        errors=(409,),
    )
    def close_deliberation(self, request, principal, body, deliberation_id):
        return self.appeals.close_deliberation(self.principal_of(principal), deliberation_id)

    @api(
        "POST",
        "/project-proposals",
        summary="Group appeals of one community into a project proposal 定向投 (community admin)",
        tag="projects",
        body=a.ProposalIn,
        response=a.ProposalOut,
        status=201,
        errors=(404, 409),
    )
    def propose_project(self, request, principal, body):
        return self.appeals.propose_project(self.principal_of(principal), body_as_sent(request))

    @api(
        "GET",
        "/project-proposals/{proposal_id}",
        summary="A project proposal with its appeals",
        tag="projects",
        audience="signed_in",
        response=a.ProposalOut,
    )
    def get_project_proposal(self, request, principal, body, proposal_id):
        return self.appeals.get_project_proposal(self.principal_of(principal), proposal_id)
