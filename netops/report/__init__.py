"""The assessment report (issue 16 item 3): per prefecture and node, availability from stored incidents and
polls, incidents and MTTR, conference readiness, rollout, configuration changes, backups, services.

``collect.collect`` reads the figures, ``render.render`` writes them as HTML, PDF, CSV or JSON; the CLI
(``netops report``), the API (``GET /reports``) and the monthly job (``job.py``) call these two. docs/report.md.
"""
