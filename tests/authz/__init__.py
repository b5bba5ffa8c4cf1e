"""The authorisation matrix: every route, every persona, the status each must get.

tests/test_authorisation_matrix.py builds one matrix world (tests/authz/world.py), walks EVERY
rule in ``app.url_map`` (and every operation in the OpenAPI document), and requests each one as
each persona. A route or method that no area declares makes the test fail, so a new route
cannot ship without saying who may reach it.

How an area declares its routes
-------------------------------
Add a module to this package (one per area, e.g. ``tests/authz/referrals.py``) with:

``ROUTES``: a list of :class:`Route`::

    Route("sharing.isa_edit", "POST", "/hubs/{hub_slug}/isas/{isa_id}/edit",
          expect=expect(404, anonymous=302, hub_manager=302, sysadmin=302),
          data={"reference": "...", ...})

- ``endpoint`` and ``method``: as in ``flask routes``; one Route per method.
- ``path``: a template filled from the world's parameters (``{hub_slug}``, ``{other_hub_slug}``,
  ``{case_id}``, ``{note_id}``, ``{isa_id}``, ``{membership_id}``, ``{agency_id}`` (a partner
  agency not on the case), ``{user_id}`` (the member persona), ``{role_id}`` (the member's
  role)) plus whatever your ``setup`` returns.
- ``expect``: the status for EVERY persona; build it with :func:`expect` (a default and the
  exceptions), which refuses unknown persona names. Denials are 404 (same as missing); an
  anonymous request to a signed-in page is 302 to the sign-in page (checked).
- ``data`` (form fields; the CSRF token is added) or ``json`` for writes; ``api=True`` sends the
  persona's bearer token instead of the browser session (anonymous sends none); for an API
  route write ``path`` exactly as the OpenAPI document names it (``/api/v1/cases/{case_id}``,
  Flask's variable names), since every operation in that document must be declared. Values
  in ``data``/``json`` may be templates too (strings with ``{...}``).

``setup(m) -> dict`` (optional): create your area's objects in the matrix world ``m`` (a
SimpleNamespace: ``m.hub``, ``m.other_hub``, ``m.case``, ``m.note``, ``m.agencies[name]``,
``m.users[persona]``, ``m.params``) and return extra path parameters. It runs inside the
test's transaction, before any request.

Each request runs inside a savepoint that is rolled back afterwards, and each persona's cookies
are restored, so a successful write (or a sign-out) does not change what the next request sees.

Personas (see world.py): anonymous; member (case worker of a member agency with an ISA in force
covering all categories); non_member (case worker of a partner agency not on the case);
expired_isa (case worker of a member agency whose only ISA has expired); lacks_category
(case worker of a member agency whose ISA lacks the note's category); referrer; analyst;
coordinator; hub_manager; other_hub (a hub manager of another hub); sysadmin.
"""

from dataclasses import dataclass, field

PERSONAS = (
    "anonymous",
    "member",
    "non_member",
    "expired_isa",
    "lacks_category",
    "referrer",
    "analyst",
    "coordinator",
    "hub_manager",
    "other_hub",
    "sysadmin",
)


def expect(default: int, **overrides: int) -> dict[str, int]:
    """The status every persona gets: `default`, except those named."""
    unknown = set(overrides) - set(PERSONAS)
    if unknown:
        raise ValueError(f"unknown personas: {sorted(unknown)}")
    return {p: overrides.get(p, default) for p in PERSONAS}


@dataclass(frozen=True)
class Route:
    endpoint: str
    method: str
    path: str
    expect: dict[str, int]
    data: dict | None = field(default=None, hash=False)
    json: dict | None = field(default=None, hash=False)
    api: bool = False

    def __post_init__(self):
        missing = set(PERSONAS) - set(self.expect)
        if missing:
            raise ValueError(f"{self.endpoint} {self.method}: no expectation for {missing}")


# Common shapes.
SIGNED_IN = expect(200, anonymous=302)
NOBODY = expect(404)
