"""Today: the home page's answer to "what do I need to do today", per hub and per role. Each
section is one job's short list (referrals awaiting triage, urgent conferences to confirm,
deadline breaches to explain, my overdue actions and reviews, agreements near their end), read
through the area that owns it and hub.permissions, and audited by that area as its own page
would be. Nothing is written here."""
