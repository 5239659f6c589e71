"""Production entry point: ``gunicorn wsgi:app``."""

from api import create_app
from api.common.process import settle_after_start_up

app = create_app()
settle_after_start_up()
