"""Casework: family tracing for long-stay residents (``tracing``) and the follow-up tasks
created from what was recorded (``tasks``)."""

from flask_smorest import Api


def register(api: Api) -> None:
    from api.casework import tasks, tracing

    tracing.register(api)
    tasks.register(api)
