"""Alembic environment: migrations run on a connection handed in by ``conviction.store``."""

from __future__ import annotations

from alembic import context

import conviction.store.tables as tables

target_metadata = tables.Base.metadata


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        context.configure(
            url=context.config.get_main_option("sqlalchemy.url"),
            target_metadata=target_metadata,
            literal_binds=True,
        )
    else:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
    with context.begin_transaction():
        context.run_migrations()


run()
