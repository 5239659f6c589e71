from __future__ import annotations

from flask import current_app, g, request
from flask.views import MethodView

from api.auth import services
from api.auth.permissions import public, require_roles
from api.auth.schemas import (
    LoginSchema,
    RefreshSchema,
    RevokedSchema,
    TokensSchema,
    UserQuerySchema,
    UserSchema,
    UserUpdateSchema,
)
from api.common.arguments import Blueprint
from api.common.pagination import PAGINATION, paginate

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Sign-in and the caller")
users_blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Accounts")


def _token_settings() -> services.TokenSettings:
    config = current_app.config
    return services.TokenSettings(
        config["SECRET_KEY"], config["ACCESS_TOKEN_TTL"], config["REFRESH_TOKEN_TTL"]
    )


def _throttle_settings() -> services.ThrottleSettings:
    config = current_app.config
    return services.ThrottleSettings(
        config["LOGIN_FAILURE_WINDOW"],
        config["LOGIN_MAX_FAILURES_PER_USERNAME"],
        config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
    )


@blp.route("/auth/login")
@public
class Login(MethodView):
    @blp.doc(security=[])
    @blp.arguments(LoginSchema)
    @blp.response(200, TokensSchema)
    @blp.alt_response(401, description="Wrong credentials or deactivated account")
    @blp.alt_response(429, description="Too many failed attempts")
    def post(self, credentials):
        """Sign in; returns an access token and a refresh token bound to the device"""
        # The failed attempt must be stored although the request answers 401.
        g.commit_on_error = True
        return services.login(
            credentials["username"],
            credentials["password"],
            credentials.get("device_id"),
            request.remote_addr or "unknown",
            _token_settings(),
            _throttle_settings(),
        )


@blp.route("/auth/refresh")
@public
class Refresh(MethodView):
    @blp.doc(security=[])
    @blp.arguments(RefreshSchema)
    @blp.response(200, TokensSchema)
    def post(self, body):
        """A new access token for a device's refresh token"""
        return services.refresh(body["refresh_token"], _token_settings())


@blp.route("/auth/logout")
class Logout(MethodView):
    @blp.response(204)
    def post(self):
        """Revoke this device's tokens"""
        services.logout(g.device_session_id)


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, UserSchema)
    def get(self):
        """The signed-in user"""
        return g.user


@users_blp.route("")
class Users(MethodView):
    @require_roles("admin", "supervisor")
    @users_blp.arguments(UserQuerySchema, location="query")
    @users_blp.response(200, UserSchema(many=True))
    @users_blp.paginate(**PAGINATION)
    def get(self, filters, pagination_parameters):
        """List accounts in the caller's area"""
        return paginate(services.users_query(**filters), pagination_parameters)

    @require_roles("admin")
    @users_blp.arguments(UserSchema)
    @users_blp.response(201, UserSchema)
    def post(self, data):
        """Create an account (admin)"""
        return services.create_user(**data)


@users_blp.route("/<int:user_id>")
class UserById(MethodView):
    @require_roles("admin", "supervisor")
    @users_blp.response(200, UserSchema)
    def get(self, user_id):
        """One account"""
        return services.get_user(user_id)

    @require_roles("admin")
    @users_blp.arguments(UserUpdateSchema)
    @users_blp.response(200, UserSchema)
    def patch(self, changes, user_id):
        """Change an account; ``active: false`` deactivates it and revokes its tokens"""
        return services.update_user(services.get_user(user_id), changes)


@users_blp.route("/<int:user_id>/revoke-tokens")
class RevokeTokens(MethodView):
    @require_roles("admin")
    @users_blp.response(200, RevokedSchema)
    def post(self, user_id):
        """End every sign-in of this user at once (a lost phone)"""
        return {"revoked_sessions": services.revoke_all_tokens(services.get_user(user_id))}
