"""Victims and their single points of contact (SPoCs): each victim's contact needs (records),
the SPoC's contact log (contacts), the call-backs they promise (call_backs) and the reminders
and escalation of missed ones (reminders, jobs), the milestones a victim is kept informed of
(milestones), and a SPoC's own "My victims" list (call_backs.my_victims)."""
