"""The whole batch in one transaction, else each alone (services/infra/batches.py)."""

import pytest
from sqlalchemy import Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.catalog import handlers as catalog_handlers
from services.infra.batches import together_or_each
from services.orders import handlers as orders_handlers


class Base(DeclarativeBase):
    pass


class Row(Base):
    __tablename__ = "rows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(20), unique=True)


@pytest.fixture
def session(make_session):
    return make_session(Base, "batches")


def names(session):
    with session.begin():
        return sorted(session.scalars(select(Row.name)))


def add_all(session, items):
    for item in items:
        session.add(Row(name=item))
    session.flush()
    return [f"together:{item}" for item in items]


def add_alone(session):
    def each(item):
        try:
            with session.begin():
                add_all(session, [item])
            return f"alone:{item}"
        except IntegrityError:
            return f"refused:{item}"

    return each


def test_a_batch_that_fits_commits_in_one_transaction(session):
    assert together_or_each(session, ["a", "b"], add_all, add_alone(session)) == [
        "together:a",
        "together:b",
    ]
    assert names(session) == ["a", "b"]


def test_one_item_that_does_not_fit_sends_each_alone_and_undoes_no_other(session):
    together_or_each(session, ["a"], add_all, add_alone(session))
    results = together_or_each(
        session, ["b", "a", "c"], add_all, add_alone(session), errors=(IntegrityError,)
    )
    assert results == ["alone:b", "refused:a", "alone:c"]
    assert names(session) == ["a", "b", "c"]


def test_only_the_errors_named_send_the_batch_one_by_one(session):
    def broken(session, items):
        raise KeyError("a bug, not a refusal")

    with pytest.raises(KeyError):
        together_or_each(session, ["a"], broken, add_alone(session), errors=(IntegrityError,))
    assert names(session) == []


def test_an_empty_batch_does_nothing(session):
    def never(*args):
        raise AssertionError("called")

    assert together_or_each(session, [], never, never) == []


def test_a_batch_answers_one_result_per_item(session):
    with pytest.raises(ValueError):
        together_or_each(session, ["a", "b"], lambda session, items: ["one"], add_alone(session))


def test_catalog_and_orders_batch_with_it():
    assert catalog_handlers.together_or_each is together_or_each
    assert orders_handlers.together_or_each is together_or_each
