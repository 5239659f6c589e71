"""Active discovery (政策找人): households, home visits, photos, screening, and the
supervisors' coverage, maps and exports (``coverage``)."""

from flask_smorest import Api


def register(api: Api) -> None:
    from api.visits import coverage

    coverage.register(api)
