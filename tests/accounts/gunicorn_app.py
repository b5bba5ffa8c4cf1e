"""The hub as gunicorn serves it (wsgi:app), saying which worker answered each request, so a
test can see that both workers took part."""

import os

from wsgi import app as hub_app


def app(environ, start_response):
    def start(status, headers, exc_info=None):
        return start_response(status, [*headers, ("X-Worker", str(os.getpid()))], exc_info)

    return hub_app(environ, start)
