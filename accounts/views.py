"""``/api/v1/users/``: register, login, refresh, logout, profile (contract "Accounts")."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts import ratelimits, services
from accounts.permissions import IsPatientOrClinician
from accounts.selectors import user_email_available
from accounts.serializers import (
    EmailAvailableOutput,
    EmailCheckInput,
    LoginInput,
    LogoutInput,
    MessageOutput,
    ProfileUpdateInput,
    RefreshInput,
    RegisterInput,
    TokenPairOutput,
    UserOutput,
)
from accounts.tokens import pair_body
from scribe.core.serializers import validated


def _pair_response(user, access, refresh) -> Response:
    body = {**pair_body(access, refresh), "user": UserOutput(user).data}
    return Response(TokenPairOutput(body).data)


class AccountViewSet(viewsets.GenericViewSet):
    # The public actions take no bearer token: a stale one must not block a login.
    public = {"authentication_classes": [], "permission_classes": [AllowAny]}
    permission_classes = [IsPatientOrClinician]
    serializer_class = UserOutput

    @extend_schema(request=RegisterInput, responses={201: UserOutput}, auth=[])
    @action(detail=False, methods=["post"], **public)
    def register(self, request):
        ratelimits.register_ip(request)
        user = services.user_register(**validated(RegisterInput, request.data))
        return Response(UserOutput(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LoginInput, responses={200: TokenPairOutput}, auth=[])
    @action(detail=False, methods=["post"], **public)
    def login(self, request):
        data = validated(LoginInput, request.data)
        return _pair_response(*services.user_login(request=request, **data))

    @extend_schema(request=RefreshInput, responses={200: TokenPairOutput}, auth=[])
    @action(detail=False, methods=["post"], **public)
    def refresh(self, request):
        data = validated(RefreshInput, request.data)
        return _pair_response(*services.token_refresh(request=request, raw_refresh=data["refresh_token"]))

    @extend_schema(request=LogoutInput, responses={200: MessageOutput})
    @action(detail=False, methods=["post"])
    def logout(self, request):
        data = validated(LogoutInput, request.data)
        services.user_logout(
            request=request, user=request.user, token=request.auth, raw_refresh=data.get("refresh_token")
        )
        return Response({"message": "User logged out successfully"})

    @extend_schema(
        parameters=[EmailCheckInput],
        responses={200: EmailAvailableOutput},
        auth=[],
        description="Whether an email address is free to register with (rate limited per client IP). "
        "The Node.js face's `GET /users/checkEmail?email=`.",
    )
    @action(detail=False, methods=["get"], url_path="check-email", **public)
    def check_email(self, request):
        ratelimits.check_email_ip(request)
        data = validated(EmailCheckInput, request.query_params)
        return Response({"available": user_email_available(email=data["email"])})

    @extend_schema(methods=["GET"], responses={200: UserOutput})
    @extend_schema(methods=["PATCH"], request=ProfileUpdateInput, responses={200: UserOutput})
    @action(detail=False, methods=["get", "patch"])
    def profile(self, request):
        if request.method == "PATCH":
            data = validated(ProfileUpdateInput, request.data)
            services.user_profile_update(request=request, user=request.user, token=request.auth, **data)
        return Response(UserOutput(request.user).data)
