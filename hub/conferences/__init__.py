"""Case conferences, one module per part of the job:

- slot: the hub's weekly slot, the conferences created from it, calendar invitations;
- agenda: building each agenda from the scores, and a coordinator's edits to it;
- urgent: urgent conferences a critical or high referral's deadline demands;
- running: the chair's live conference, attendance, notes and decisions;
- minutes: minutes, printing, circulation, a case's conferences and the decision log;
- timeliness: whether each referral's conference kept its deadline;
- case_reviews: ASB case review applications, which go on the agenda, and their outcome;
- review_steps: a review's steps after its application, up to an appeal; the hub's timescales;
- timescales: each step's due day, met or missed, and the daily reminders;
- case_review_figures: the hub's annual figures, as councils publish them, and their CSV;
- jobs: the hourly job that creates conferences, proposes urgent ones and builds agendas,
  and the daily case review reminders.
"""
