"""Notifications as configuration: channels and routes in ``notify.yaml`` (inventory folder), delivered with
bounded retries, every attempt recorded in the run's transcript.

    config.py    notify.yaml: channels, routes, smtp; file:line problems     channels.py  one attempt per kind
    deliver.py   routing, retries, masking, outcomes                          mail.py      the SMTP sender

Called by the runbook engine's ``notify`` step (``netops.runbooks.steps``). See docs/notify.md.
"""
