"""Analytics: the hub's figures from its own data and police.uk's open data.

- police_uk: importing police.uk street-level files as place-level context incidents;
- area: the area a hub covers, which an import checks every row against;
- dashboard: referrals, conference deadlines, actions, outcomes, times and case reviews,
  every figure one GROUP BY in SQL;
- hotspots: incidents and open cases by ~50 m cell, for the map, the grid and the ranked list;
- repeats: the most repeated victims, places and subjects, named only to those s115 allows;
- powers: the statutory powers return;
- reports: the monthly partnership report, its PDF, and the scheduler's job (jobs.py);
- charts and csv: SVG charts drawn on the server and CSV downloads safe to open in a
  spreadsheet.

A top-rank area: it reads other areas' models, and nothing imports it.
"""
