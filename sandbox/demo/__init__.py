"""`manage.py demo`: the whole product against the in-process sandbox on one machine (see the command)."""
