"""A real OpenID Connect provider for the single sign-on tests: oidc-provider-mock, served on
127.0.0.1 in a process of its own (so a test's controlled clock does not move the provider's).

Usage: python -m tests.accounts.oidc_provider PORT TOKEN_SECONDS

The provider names itself after the host a request was addressed to. One twist makes a
provider that issues ID tokens under the wrong issuer: a token request addressed to
127.0.0.1 is answered as if addressed to localhost, so a hub told the issuer is
http://127.0.0.1:PORT receives tokens saying http://localhost:PORT.
"""

import os
import sys
from datetime import timedelta

from werkzeug.serving import make_server


def _wrong_issuer_for_127(app):
    def middleware(environ, start_response):
        host = environ.get("HTTP_HOST", "")
        if host.startswith("127.0.0.1") and environ.get("PATH_INFO") == "/oauth2/token":
            environ["HTTP_HOST"] = host.replace("127.0.0.1", "localhost", 1)
        return app(environ, start_response)

    return middleware


def main() -> None:
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain http on localhost
    import oidc_provider_mock

    port, seconds = int(sys.argv[1]), int(sys.argv[2])
    app = oidc_provider_mock.app(
        require_nonce=True, access_token_max_age=timedelta(seconds=seconds)
    )
    server = make_server("127.0.0.1", port, _wrong_issuer_for_127(app), threaded=True)
    print("ready", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
