"""Accounts: how people sign in and stay signed in.

- passwords.py: the password rules (NCSC: length and a deny-list, no composition rules) and
  setting a password;
- sign_in.py: signing in with a password, lockout after repeated failures;
- two_factor.py: TOTP two-factor sign-in and recovery codes, and who must use it;
- sessions.py: server-side sessions (sign-out, "sign out everywhere", idle and 12-hour limits);
- tokens.py: personal API tokens and emailed password links;
- oidc.py: single sign-on with each agency's OpenID Connect provider;
- approvals.py: people made by a first single sign-on wait for a manager's approval;
- sealing.py: secrets kept encrypted at rest (client secrets, TOTP keys);
- jobs.py: switching off accounts nobody has used for 90 days, with a week's notice.

Every sign-in, failure, lockout, two-factor change, link to a provider and ended session is
audited, by user id or a keyed hash of the address typed: never the address itself.
"""
