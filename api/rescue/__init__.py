"""Vagrancy rescue: street patrols in the summer-cooling and winter-warmth campaigns
(``patrols``), the rescue centre's residents and open-day events (``centre``), and the
centre's desk page (``pages``)."""

from flask_smorest import Api


def register(api: Api) -> None:
    from api.rescue import centre, patrols
    from api.rescue.pages import page_blp

    patrols.register(api)
    centre.register(api)
    api.register_blueprint(page_blp)
