"""Campaigns, patrols, GPS tracks, encounters, street people and campaign statistics."""

from flask_smorest import Api


def register(api: Api) -> None:
    """Register the patrol blueprints."""
    from api.rescue.patrols.routes import campaigns_blp, encounters_blp, patrols_blp, people_blp

    for blueprint in (campaigns_blp, patrols_blp, encounters_blp, people_blp):
        api.register_blueprint(blueprint)
