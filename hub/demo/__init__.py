"""The demo hub: a coastal borough partnership like Copeland's (build.py) and its referrals,
submitted and triaged through the referral services (referrals.py). Safe to build twice."""
