"""Entry point: `flask --app wsgi …` and `gunicorn wsgi:app`."""

from hub import create_app

app = create_app()
