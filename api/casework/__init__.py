"""Casework: family tracing for long-stay residents (``tracing``), the follow-up tasks
created from what was recorded (``tasks``), and leads — help requests — (``leads``)."""

from flask_smorest import Api


def register(api: Api) -> None:
    from api.casework import leads, tasks, tracing

    tracing.register(api)
    tasks.register(api)
    leads.register(api)
