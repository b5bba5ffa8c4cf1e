"""Analytics: the hub's figures from its own data and police.uk's open data.

- police_uk: importing police.uk street-level files as place-level context incidents, from
  the command line (commands.py) or an upload the scheduler runs (jobs in hub/jobs.py);
- area: the area a hub covers, which an import checks every row against;
- periods: the filters in the URL, and London months, hours and weekdays in SQL;
- dashboard: referrals, conference deadlines, actions, outcomes, times and case reviews,
  every figure one GROUP BY in SQL;
- hotspots: incidents and open cases by ~50 m cell, for the map, the grid and the ranked list;
- repeats: the most repeated victims, places and subjects, named only to those s115 allows;
- powers: the statutory powers return;
- reports: the monthly partnership report and its PDF, filed by the scheduler;
- charts: what the SVG charts, their tables and their CSV downloads show (CSV cells safe to
  open in a spreadsheet);
- demo: the demo's City of London hub, with the police.uk months shipped in data/police-uk.

A top-rank area: it reads other areas' models, and nothing imports it.
"""
