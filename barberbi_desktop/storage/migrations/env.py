"""Alembic environment: always driven from `storage.db` with an open connection."""

from alembic import context

from barberbi_desktop.storage.models import Base

connection = context.config.attributes.get("connection")


def include_object(obj: object, name: str | None, type_: str, *_args: object) -> bool:
    """Older versions kept the scheduler's job table in the shop file (revision 0009
    drops it); autogenerate must not mistake it for a table the models lost."""
    return not (type_ == "table" and name == "apscheduler_jobs")


if connection is None:  # `alembic revision --autogenerate` from the command line
    from sqlalchemy import create_engine

    url = context.config.get_main_option("sqlalchemy.url") or "sqlite:///:memory:"
    with create_engine(url).connect() as conn:
        context.configure(
            connection=conn,
            target_metadata=Base.metadata,
            render_as_batch=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()
