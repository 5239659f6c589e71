"""Leads: people the county must reach. Help requests (畅通求助渠道) are the first kind:
staff intake, the public form at ``/help/``, routing, follow-up and statistics."""

from flask_smorest import Api


def register(api: Api) -> None:
    from api.casework.leads.routes import blp, page_blp, public_blp

    api.register_blueprint(blp)
    api.register_blueprint(public_blp)
    api.register_blueprint(page_blp)
