from __future__ import annotations

from flask import current_app, g
from flask.views import MethodView

from api.auth import services
from api.auth.permissions import client_address, public, require_roles
from api.auth.schemas import (
    DeviceSessionSchema,
    LoginSchema,
    PasswordChangeSchema,
    PasswordResetAnswerSchema,
    PasswordResetSchema,
    RefreshSchema,
    RevokedSchema,
    TokensSchema,
    UserQuerySchema,
    UserSchema,
    UserUpdateSchema,
)
from api.auth.throttle import ThrottleSettings
from api.common.arguments import Blueprint
from api.common.pagination import PAGINATION, paginate

blp = Blueprint("auth", __name__, url_prefix="/api/v1", description="Sign-in and the caller")
users_blp = Blueprint("users", __name__, url_prefix="/api/v1/users", description="Accounts")


def _token_settings() -> services.TokenSettings:
    config = current_app.config
    return services.TokenSettings(
        config["SECRET_KEY"], config["ACCESS_TOKEN_TTL"], config["REFRESH_TOKEN_TTL"]
    )


def _throttle_settings() -> ThrottleSettings:
    config = current_app.config
    return ThrottleSettings(
        window_seconds=config["LOGIN_FAILURE_WINDOW"],
        max_delay_seconds=config["LOGIN_MAX_DELAY"],
        free_per_pair=config["LOGIN_FREE_FAILURES"],
        free_per_username=config["LOGIN_FREE_FAILURES_PER_USERNAME"],
        free_per_address=config["LOGIN_FREE_FAILURES_PER_ADDRESS"],
        trusted_device_days=config["LOGIN_TRUSTED_DEVICE_DAYS"],
    )


@blp.route("/auth/login")
@public
class Login(MethodView):
    @blp.doc(security=[])
    @blp.arguments(LoginSchema)
    @blp.response(200, TokensSchema)
    @blp.alt_response(401, description="Wrong credentials or deactivated account")
    @blp.alt_response(
        429,
        description="Too many failed attempts; `Retry-After` says how many seconds to wait",
        headers={"Retry-After": {"schema": {"type": "integer"}}},
    )
    def post(self, credentials):
        """Sign in; returns an access token and a refresh token bound to the device"""
        # The failed attempt must be stored although the request answers 401.
        g.commit_on_error = True
        return services.login(
            credentials["username"],
            credentials["password"],
            credentials.get("device_id"),
            client_address(),
            _token_settings(),
            _throttle_settings(),
        )


@blp.route("/auth/refresh")
@public
class Refresh(MethodView):
    @blp.doc(security=[])
    @blp.arguments(RefreshSchema)
    @blp.response(200, TokensSchema)
    @blp.alt_response(401, description="Unknown, expired or revoked token, or another device's")
    def post(self, body):
        """A new access token for a device's refresh token, presented by that device"""
        return services.refresh(body["refresh_token"], body["device_id"], _token_settings())


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
        return services.signed_in_user(g.actor)


@blp.route("/me/password")
class MyPassword(MethodView):
    @blp.arguments(PasswordChangeSchema)
    @blp.response(204)
    @blp.alt_response(422, description="Wrong current password, or a too short new one")
    @blp.alt_response(
        429,
        description="Too many wrong current passwords; `Retry-After` says how long to wait",
        headers={"Retry-After": {"schema": {"type": "integer"}}},
    )
    def post(self, body):
        """Change my password; every other sign-in of mine ends, this one stays"""
        # A wrong current password is counted like a failed sign-in, and must be kept.
        g.commit_on_error = True
        services.change_own_password(
            services.signed_in_user(g.actor),
            g.device_session_id,
            body["current_password"],
            body["new_password"],
            client_address(),
            _throttle_settings(),
        )


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
        """Change an account; ``active: false`` deactivates it and a new ``password`` resets
        it, both ending its sign-ins (an admin's own current one survives their own reset)"""
        return services.update_user(
            services.get_user(user_id), changes, keep_session_id=g.device_session_id
        )


@users_blp.route("/<int:user_id>/revoke-tokens")
class RevokeTokens(MethodView):
    @require_roles("admin")
    @users_blp.response(200, RevokedSchema)
    def post(self, user_id):
        """End every sign-in of this user at once (a lost phone)"""
        return {"revoked_sessions": services.revoke_all_tokens(services.get_user(user_id))}


@users_blp.route("/<int:user_id>/password")
class PasswordReset(MethodView):
    @require_roles("admin")
    @users_blp.arguments(PasswordResetSchema)
    @users_blp.response(200, PasswordResetAnswerSchema)
    def post(self, body, user_id):
        """Reset a password (admin): a temporary one the user must change at sign-in; every
        sign-in of the user ends"""
        return services.reset_password(
            services.get_user(user_id), g.actor.user_id, body.get("password")
        )


@users_blp.route("/<int:user_id>/sessions")
class DeviceSessions(MethodView):
    @require_roles("admin")
    @users_blp.response(200, DeviceSessionSchema(many=True))
    @users_blp.paginate(**PAGINATION)
    def get(self, pagination_parameters, user_id):
        """The user's sign-ins, device by device, newest first (admin)"""
        return paginate(
            services.device_sessions_of(services.get_user(user_id)), pagination_parameters
        )
