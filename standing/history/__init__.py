"""Scan history: every scan recorded in a database, compared, trended and announced.

Scheduled scans answer "what changed since yesterday, is standing privilege going down, how
long do fixes take". The store (``store.HistoryStore``) keeps each scan's identities,
credentials and findings through SQLAlchemy, in a SQLite file or PostgreSQL, with Alembic
migrations run on open so an upgrade keeps the history. Needs the ``history`` extra
(SQLAlchemy, Alembic, pandas, psycopg); ``options`` is importable without it.
"""
