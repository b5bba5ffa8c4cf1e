"""The lessons-learned library: lessons drafted from a case's evaluation (or written on their
own), checked for personal data before anyone but their author sees them, reviewed and
published by a coordinator or hub manager, searched by everyone in the hub, and suggested on
the cases whose problem they resemble.

Writes to a case (a lesson marked as used on it, whether it helped) go through hub.casework;
this area writes only lessons. Callers authorise through hub.permissions and commit."""
