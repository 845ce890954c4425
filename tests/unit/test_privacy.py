"""The one masking rule every service applies to a neighbour's name (services/infra/privacy.py)."""

import pytest

from services.catalog import live
from services.infra.privacy import UNKNOWN_NEIGHBOUR, mask_name
from services.referral import leaderboard, showcases


@pytest.mark.parametrize(
    "name, masked",
    [
        ("王芳", "王**"),
        ("李秀英", "李**"),
        ("欧阳娜娜", "欧**"),
        ("王", "王**"),
        ("  陈静 ", "陈**"),
        ("Alice", "A**"),
    ],
)
def test_a_name_shows_its_first_character_and_a_fixed_mask(name, masked):
    assert mask_name(name) == masked


def test_the_mask_does_not_tell_a_two_character_name_from_a_three_character_one():
    assert mask_name("王芳") == mask_name("王秀英")


@pytest.mark.parametrize("name", [None, "", "   ", UNKNOWN_NEIGHBOUR])
def test_an_unknown_name_is_shown_as_a_neighbour_not_masked(name):
    assert mask_name(name) == "邻居"


def test_the_live_room_and_referral_use_the_same_rule():
    assert live.mask_name is mask_name
    assert leaderboard.mask_name is mask_name and showcases.mask_name is mask_name


def test_catalog_names_stored_with_the_old_mask_take_the_one_rule(tmp_path):
    """Names masked before the one rule (one * per hidden character) are masked again on upgrade."""
    from alembic import command
    from sqlalchemy import create_engine, text

    from services.infra.migrations import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'catalog'}.db"
    command.upgrade(alembic_config("catalog", url), "0003")
    engine = create_engine(url)
    with engine.begin() as connection:
        for member_id, masked in [("m1", "王*"), ("m2", "A****"), ("m3", "邻居"), ("m4", "李**")]:
            connection.execute(
                text(
                    "INSERT INTO catalog_members (member_id, tenant_id, masked_name) "
                    "VALUES (:m, 't1', :n)"
                ),
                {"m": member_id, "n": masked},
            )
    upgrade("catalog", url)
    with engine.connect() as connection:
        names = dict(
            connection.execute(text("SELECT member_id, masked_name FROM catalog_members")).all()
        )
    assert names == {"m1": "王**", "m2": "A**", "m3": "邻居", "m4": "李**"}
    engine.dispose()
