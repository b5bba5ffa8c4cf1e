"""The named events one area sends and another reacts to (blinker, which Flask ships).

Dependencies point one way (blueprints -> area services -> models/core), so an area that must
react to something a lower area does never imports it back: the lower area sends a signal
named here, and the higher one connects a receiver in its own module. Receivers run at once,
in the sender's transaction, and must not commit. Every signal here has a receiver once the
application is built (tests/test_architecture.py checks it).
"""

from blinker import Namespace

_events = Namespace()

# referrals.intake, after a referral is stored and scored. Sender: the referral; `now`, and
# `weekly` (the scoring.ConferenceSlot it was scored with, or None). hub.conferences.urgent
# convenes an urgent conference when the deadline falls before the weekly one.
referral_submitted = _events.signal("referral-submitted")

# referrals.triage, after a referral is opened as a case or added to one. Sender: the
# referral; `case`. hub.conferences.agenda turns the referral's agenda items into the case's.
referral_joined_case = _events.signal("referral-joined-case")

# hub.core.errors, when a form arrives without this session's CSRF token. Sender: the app;
# `user` (or None), `method`, `path`. hub.audit records the refusal.
csrf_refused = _events.signal("csrf-refused")

# hub.organisation.admin, when an account is switched off. Sender: the user; `actor`.
# hub.accounts.sessions ends every session the person has, so none comes back to life if the
# account is switched on again.
account_deactivated = _events.signal("account-deactivated")

# hub.casework.deadlines, when a case is given a conference deadline (opened, or its band
# raised by a referral, triage, a reassessment, a conference decision or a new incident).
# Sender: the CaseDeadline; `case`, `now`. hub.conferences.urgent convenes an urgent conference
# (or an urgent item on a weekly one) when the deadline falls before the weekly conference.
case_deadline_set = _events.signal("case-deadline-set")

# hub.lifecycle.importing, when a hub exported by another instance has been written here.
# Sender: the Hub. hub.lessons.library puts the hub's published lessons in its full-text
# index (SQLite keeps the index outside the lesson rows).
hub_imported = _events.signal("hub-imported")
