"""The one declarative base of crm's tables: every subpackage's models share its metadata, so
the migration history under ``migrations/`` describes them all."""

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
