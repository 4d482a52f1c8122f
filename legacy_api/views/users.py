"""The Node.js face: service root and /users."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import ratelimits
from accounts import services as account_services
from accounts.messages import INCORRECT_LOGIN, USER_EXISTS
from accounts.permissions import IsPatientOrClinician
from accounts.selectors import user_email_available
from accounts.serializers import EmailCheckInput, LoginInput, RegisterInput
from legacy_api import shapes
from legacy_api.errors import NodeError, node_msg
from legacy_api.views.base import NODE_OBJECT, NodePublicView, NodeView, json_body, node_schema, picked
from scribe.core.exceptions import InvalidInput
from scribe.core.serializers import validated
from scribe.core.views import RootView

# --- Service -------------------------------------------------------------------------------


class NodeRootView(RootView):
    @extend_schema(
        operation_id="service_root",
        description="Scribe's welcome, with the Node.js backend's `msg` beside it.",
        responses=inline_serializer(
            "Welcome",
            {"msg": serializers.CharField(), "message": serializers.CharField(), "version": serializers.CharField()},
        ),
    )
    def get(self, request: Request) -> Response:
        response = super().get(request)
        response.data = {"msg": "welcome to the server", **response.data}
        return response


# --- Users ---------------------------------------------------------------------------------


class RegisterView(NodePublicView):
    @node_schema(
        "POST /api/v1/users/register", request=RegisterInput, responses={200: NODE_OBJECT, 401: NODE_OBJECT}, auth=[]
    )
    def post(self, request: Request) -> Response:
        ratelimits.register_ip(request)
        data = picked(RegisterInput, json_body(request))
        try:
            account_services.user_register(**data)
        except InvalidInput as error:
            if error.detail == USER_EXISTS:
                # Node's status for a taken email.
                raise NodeError(USER_EXISTS, status=401, code="user_exists") from None
            raise
        return Response({"msg": "User has been registered"})


class LoginView(NodePublicView):
    @node_schema(
        "POST /api/v1/users/login",
        request=LoginInput,
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = picked(LoginInput, json_body(request))
        with node_msg(INCORRECT_LOGIN, account_services.NotAuthenticated):
            _user, access, refresh = account_services.user_login(request=request, **data)
        return Response({"msg": "login successful", "token": str(access), "refresh_token": str(refresh)})


class LogoutView(NodeView):
    permission_classes = [IsPatientOrClinician]

    @node_schema("POST /api/v1/users/logout", request=None)
    def post(self, request: Request) -> Response:
        account_services.user_logout(request=request, user=request.user, token=request.auth, raw_refresh=None)
        return Response({"msg": "user logged out successfully"})


class ProfileView(NodeView):
    permission_classes = [IsPatientOrClinician]

    @node_schema("GET /api/v1/users/profile")
    def get(self, request: Request) -> Response:
        return Response({"success": True, "data": shapes.user_profile(request.user)})


class CheckEmailView(NodePublicView):
    @node_schema("GET /api/v1/users/check-email", parameters=[EmailCheckInput], auth=[])
    def get(self, request: Request) -> Response:
        ratelimits.check_email_ip(request)
        data = validated(EmailCheckInput, request.query_params)
        return Response({"available": user_email_available(email=data["email"])})


class CheckEmailDoubledView(CheckEmailView):
    """The path the Node.js router really had (``/users`` + ``/users/checkEmail``)."""

    @node_schema("GET /api/v1/users/check-email", parameters=[EmailCheckInput], auth=[])
    def get(self, request: Request) -> Response:
        return super().get(request)
