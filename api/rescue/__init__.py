"""Vagrancy rescue: street patrols in the summer-cooling and winter-warmth campaigns
(``patrols``), and the rescue centre's residents and open-day events (``centre``)."""

from flask_smorest import Api


def register(api: Api) -> None:
    from api.rescue import centre, patrols

    patrols.register(api)
    centre.register(api)
