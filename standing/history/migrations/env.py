"""Alembic environment: migrations run only programmatically, on a connection the store opened."""

from alembic import context

from standing.history.schema import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
