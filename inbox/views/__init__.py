"""The web inbox: pages (GET), actions (POST) and attachment downloads."""
