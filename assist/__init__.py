"""Helping agents answer well: the pre-send compliance check (templates and AI drafts come later)."""
