"""Who may call what.

Authentication is on by default for every endpoint: a ``before_request`` hook checks the
bearer token unless the view is marked ``@public``, so a new route cannot be left open by
forgetting a decorator. Role checks are ``@require_roles(...)`` on the view method (403);
which rows a role sees is jurisdiction's business (``api.areas.scope``, 404).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, g, request

from api.areas.scope import Actor, set_actor
from api.auth.services import authenticate
from api.errors import Forbidden, PasswordChangeRequired, Unauthorized

F = TypeVar("F", bound=Callable[..., Any])

# Static files and the interactive docs are public; the API spec is too (API.md).
_PUBLIC_ENDPOINTS = {"static", "api-docs.openapi_json", "api-docs.openapi_swagger_ui"}
# What a sign-in with a temporary password (an admin's reset) may do: see who it is, change
# the password, sign out, and read the labels its page shows.
_WHILE_PASSWORD_MUST_CHANGE = {"auth.Me", "auth.MyPassword", "auth.Logout", "labels.Labels"}


def public(view: F) -> F:
    """Mark a view (function or MethodView class) as callable without a token."""
    view.public = True  # type: ignore[attr-defined]
    return view


def require_roles(*roles: str) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if g.actor.role not in roles:
                raise Forbidden("Your role does not allow this.")
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def accepts(*media_types: str) -> Callable[[F], F]:
    """The request media types a view takes (default: JSON only); others get 415."""

    def decorator(view: F) -> F:
        view.accepted_media_types = frozenset(media_types)  # type: ignore[attr-defined]
        return view

    return decorator


def body_limit(setting: str) -> Callable[[F], F]:
    """A view whose non-JSON bodies have their own limit, smaller (the public help form)
    or larger (a department's list) than the general one: ``app.config[setting]`` bytes,
    held by the same check as every body, chunked or not."""

    def decorator(view: F) -> F:
        view.body_limit_setting = setting  # type: ignore[attr-defined]
        return view

    return decorator


def client_address() -> str:
    """The caller's address (behind ``TRUSTED_PROXIES``, what they forwarded)."""
    return request.remote_addr or "unknown"


def current_view_method() -> Any:
    view = current_app.view_functions.get(request.endpoint or "")
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return view_class, getattr(view_class, request.method.lower(), None)
    return view, view


def _is_public() -> bool:
    if request.endpoint in _PUBLIC_ENDPOINTS or request.endpoint is None:
        return True
    owner, method = current_view_method()
    return bool(getattr(owner, "public", False) or getattr(method, "public", False))


def current_actor_required() -> Actor:
    actor = g.get("actor")
    if actor is None:
        raise Unauthorized()
    return actor


def install_request_auth(app: Flask) -> None:
    @app.before_request
    def _authenticate() -> None:
        if request.method == "OPTIONS" or _is_public():
            return
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Send 'Authorization: Bearer <access token>'.")
        signed_in = authenticate(
            token.strip(), app.config["SECRET_KEY"], app.config["ACCESS_TOKEN_TTL"]
        )
        g.device_session_id = signed_in.device_session_id
        g.actor = signed_in.actor
        set_actor(None, g.actor)
        if signed_in.must_change_password and request.endpoint not in _WHILE_PASSWORD_MUST_CHANGE:
            raise PasswordChangeRequired(
                "Your password was reset by an admin: change it (POST /api/v1/me/password) "
                "before anything else."
            )
