"""Case conferences, one module per part of the job:

- slot: the hub's weekly slot, the conferences created from it, calendar invitations;
- agenda: building each agenda from the scores, and a coordinator's edits to it;
- case_reviews: ASB case review applications, which go on the agenda.
"""
