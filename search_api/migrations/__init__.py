"""Alembic revisions for every table of the database (store and service). See the README, "Schema migrations"."""
