"""The reply lifecycle, one module per step (import from the modules, this package imports nothing):

- create.py: the one entry point for every reply (validate, compliance check, outbox rows, enqueue).
- deliver.py: one marketplace call per row; one table from error type to outcome.
- sent.py: the one place a reply becomes `sent` (a single-answer chat's answer is replaced there).
- reconcile.py: matching the marketplace's echoes to our rows (called by ingest and by the sweep).
- sweep.py: the periodic settlement (lost tasks, dead workers, `unknown` replies).
- files.py: validation of the file a reply carries.
- reasons.py: what the agent reads when a reply is delayed, failed or unconfirmed.
"""
