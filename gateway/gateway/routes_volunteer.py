"""Routes of volunteering and the 闪闪红星 red stars."""

from yzw_kernel.contracts import volunteer as v
from yzw_kernel.contracts.paging import PageQuery

from .http import api, body_as_sent, query_as_sent


class VolunteerRoutes:
    @property
    def volunteer(self):
        return self.services.volunteer

    @api(
        "GET",
        "/stars/{person_id}",
        summary="A person's red stars 闪闪红星: balance and entries, newest first, by cursor",
        tag="stars",
        audience="signed_in",
        query=PageQuery,
        response=v.StarsOut,
    )
    def get_stars(self, request, principal, body, person_id):
        return self.volunteer.stars(self.principal_of(principal), person_id, query_as_sent(request))

    @api(
        "POST",
        "/stars/awards",
        summary="Award stars by hand, with a reason (community admin)",
        tag="stars",
        body=v.AwardIn,
        response=v.StarsOut,
        status=201,
        errors=(404,),
    )
    def award_stars(self, request, principal, body):
        return self.volunteer.award(self.principal_of(principal), body_as_sent(request))

    @api(
        "GET",
        "/leaderboards",
        summary="Who earned most, by community or grid, for a period",
        tag="stars",
        audience="signed_in",
        query=v.LeaderboardQuery,
        response=v.LeaderboardOut,
    )
    def leaderboard(self, request, principal, body):
        return self.volunteer.leaderboard(self.principal_of(principal), query_as_sent(request))

    @api(
        "POST",
        "/teams",
        summary="Create a volunteer team 志愿服务队",
        tag="volunteering",
        body=v.TeamIn,
        response=v.TeamOut,
        status=201,
        errors=(404, 409),
    )
    def create_team(self, request, principal, body):
        return self.volunteer.create_team(self.principal_of(principal), body_as_sent(request))

    @api(
        "GET",
        "/teams",
        summary="A community's volunteer teams by name, with their members (its own people)",
        tag="volunteering",
        audience="signed_in",
        query=v.TeamQuery,
        response=v.TeamOut,
        many=True,
    )
    def list_teams(self, request, principal, body):
        return self.volunteer.list_teams(self.principal_of(principal), query_as_sent(request))

    @api(
        "GET",
        "/teams/{team_id}",
        summary="A team and its members",
        tag="volunteering",
        audience="signed_in",
        response=v.TeamOut,
    )
    def get_team(self, request, principal, body, team_id):
        return self.volunteer.get_team(self.principal_of(principal), team_id)

    @api(
        "POST",
        "/teams/{team_id}/members",
        summary="Add a volunteer to a team",
        tag="volunteering",
        audience="signed_in",
        body=v.TeamMemberIn,
        response=v.TeamOut,
        status=201,
        errors=(409,),
    )
    def add_member(self, request, principal, body, team_id):
        return self.volunteer.add_member(
            self.principal_of(principal), team_id, body_as_sent(request)
        )

    @api(
        "POST",
        "/activities",
        summary="Plan an activity for a team",
        tag="volunteering",
        audience="signed_in",
        body=v.ActivityIn,
        response=v.ActivityOut,
        status=201,
        errors=(404,),
    )
    def create_activity(self, request, principal, body):
        return self.volunteer.create_activity(self.principal_of(principal), body_as_sent(request))

    @api(
        "GET",
        "/activities",
        summary="A community's activities, newest start first, by team and status, by cursor",
        tag="volunteering",
        audience="signed_in",
        query=v.ActivityQuery,
        response=v.ActivityPageOut,
    )
    def list_activities(self, request, principal, body):
        return self.volunteer.list_activities(self.principal_of(principal), query_as_sent(request))

    @api(
        "GET",
        "/activities/{activity_id}",
        summary="An activity",
        tag="volunteering",
        audience="signed_in",
        response=v.ActivityOut,
    )
    def get_activity(self, request, principal, body, activity_id):
        return self.volunteer.get_activity(self.principal_of(principal), activity_id)

    @api(
        "GET",
        "/activities/{activity_id}/signups",
        summary="Who signed up, with their times (the team's leader, the community's staff)",
        tag="volunteering",
        audience="signed_in",
        response=v.SignUpOut,
        many=True,
    )
    def list_sign_ups(self, request, principal, body, activity_id):
        return self.volunteer.list_sign_ups(self.principal_of(principal), activity_id)

    @api(
        "POST",
        "/activities/{activity_id}/signups",
        summary="Sign up for an activity",
        tag="volunteering",
        audience="signed_in",
        response=v.SignUpOut,
        status=201,
        errors=(409,),
    )
    def sign_up(self, request, principal, body, activity_id):
        return self.volunteer.sign_up(self.principal_of(principal), activity_id)

    @api(
        "DELETE",
        "/activities/{activity_id}/signups/me",
        summary="Cancel my sign-up",
        tag="volunteering",
        audience="signed_in",
        response=v.SignUpOut,
        errors=(409,),
    )
    def cancel_sign_up(self, request, principal, body, activity_id):
        return self.volunteer.cancel_sign_up(self.principal_of(principal), activity_id)

    @api(
        "POST",
        "/activities/{activity_id}/check-in",
        summary="Check in (yourself now, or the leader records a volunteer)",
        tag="volunteering",
        audience="signed_in",
        body=v.AttendanceIn,
        response=v.SignUpOut,
        errors=(409,),
    )
    def check_in(self, request, principal, body, activity_id):
        return self.volunteer.check_in(
            self.principal_of(principal), activity_id, body_as_sent(request)
        )

    @api(
        "POST",
        "/activities/{activity_id}/check-out",
        summary="Check out; hours count only within the activity's time",
        tag="volunteering",
        audience="signed_in",
        body=v.AttendanceIn,
        response=v.SignUpOut,
        errors=(409,),
    )
    def check_out(self, request, principal, body, activity_id):
        return self.volunteer.check_out(
            self.principal_of(principal), activity_id, body_as_sent(request)
        )

    @api(
        "POST",
        "/activities/{activity_id}/complete",
        summary="Complete the activity: hours are paid in stars, once; "
        "above the approval limit the payment waits for a community admin",
        tag="volunteering",
        audience="signed_in",
        response=v.CompletionOut,
        errors=(409,),
    )
    def complete_activity(self, request, principal, body, activity_id):
        return self.volunteer.complete_activity(self.principal_of(principal), activity_id)

    @api(
        "POST",
        "/activities/{activity_id}/approve",
        summary="Approve a completion that waits: its stars are paid, once "
        "(a community admin other than the one who completed it)",
        tag="volunteering",
        body=v.ActivityDecisionIn,
        response=v.CompletionOut,
        errors=(409,),
    )
    def approve_completion(self, request, principal, body, activity_id):
        return self.volunteer.approve_completion(
            self.principal_of(principal), activity_id, body_as_sent(request)
        )

    @api(
        "POST",
        "/activities/{activity_id}/reject",
        summary="Reject a completion that waits: nothing is paid "
        "(a community admin other than the one who completed it)",
        tag="volunteering",
        body=v.ActivityDecisionIn,
        response=v.CompletionOut,
        errors=(409,),
    )
    def reject_completion(self, request, principal, body, activity_id):
        return self.volunteer.reject_completion(
            self.principal_of(principal), activity_id, body_as_sent(request)
        )

    @api(
        "POST",
        "/rewards",
        summary="Add a reward 回馈服务 to the catalogue",
        tag="rewards",
        body=v.RewardIn,
        response=v.RewardOut,
        status=201,
        errors=(404,),
    )
    def create_reward(self, request, principal, body):
        return self.volunteer.create_reward(self.principal_of(principal), body_as_sent(request))

    @api(
        "GET",
        "/rewards",
        summary="A community's reward catalogue",
        tag="rewards",
        audience="signed_in",
        query=v.RewardQuery,
        response=v.RewardOut,
        many=True,
    )
    def list_rewards(self, request, principal, body):
        return self.volunteer.list_rewards(self.principal_of(principal), query_as_sent(request))

    @api(
        "POST",
        "/rewards/{reward_id}/redeem",
        summary="Spend stars on a reward: a voucher",
        tag="rewards",
        audience="signed_in",
        response=v.VoucherOut,
        status=201,
        errors=(409,),
    )
    def redeem(self, request, principal, body, reward_id):
        return self.volunteer.redeem(self.principal_of(principal), reward_id)

    @api(
        "GET",
        "/vouchers",
        summary="My vouchers, newest first, by cursor",
        tag="rewards",
        query=PageQuery,
        response=v.VoucherPageOut,
        audience="signed_in",
    )
    def my_vouchers(self, request, principal, body):
        return self.volunteer.my_vouchers(self.principal_of(principal), query_as_sent(request))

    @api(
        "POST",
        "/vouchers/{code}/use",
        summary="The provider marks a voucher used",
        tag="rewards",
        audience="signed_in",
        response=v.VoucherOut,
        errors=(409,),
    )
    def use_voucher(self, request, principal, body, code):
        return self.volunteer.use_voucher(self.principal_of(principal), code)

    @api(
        "POST",
        "/vouchers/{voucher_id}/cancel",
        summary="Cancel an unused voucher: the stars come back",
        tag="rewards",
        audience="signed_in",
        response=v.VoucherOut,
        errors=(409,),
    )
    def cancel_voucher(self, request, principal, body, voucher_id):
        return self.volunteer.cancel_voucher(self.principal_of(principal), voucher_id)
