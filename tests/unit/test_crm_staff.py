"""The leader's staff (团长助理): added, listed and removed by the leader only, within the
community; a removed helper can neither log in nor use a token they still hold."""

import time

import pytest

from services.crm import handlers
from services.crm.accounts import identity as crm_identity
from services.crm.accounts import staff
from services.crm.members import joining
from services.crm.models import Account, Base
from services.infra.context import Caller
from services.infra.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized

PASSWORD = "correct horse battery"
HELPER = "13700000001"


@pytest.fixture
def session(make_session):
    return make_session(Base, "crm")


def signup(session, anonymous, slug="sunny-garden", phone="13800000001"):
    payload = {
        "community_name": "Sunny Garden",
        "slug": slug,
        "phone": phone,
        "password": PASSWORD,
        "display_name": "Auntie Wang",
    }
    with session.begin():
        return crm_identity.signup_leader(session, anonymous, payload)


def as_caller(identity, issued_at=None):
    """The ``Caller`` a token issued (now, unless said) for ``identity`` (a login's answer)
    brings."""
    return Caller(
        tenant_id=identity["tenant_id"],
        account_id=identity["account_id"],
        member_id=identity["member_id"],
        role=identity["role"],
        issued_at=int(time.time()) if issued_at is None else issued_at,
    )


def add(session, leader, phone=HELPER, password=PASSWORD, display_name="Xiao Zhang"):
    with session.begin():
        return staff.add_staff(
            session, leader, {"phone": phone, "password": password, "display_name": display_name}
        )


def login(session, phone=HELPER, password=PASSWORD, community="sunny-garden"):
    return handlers.authenticate(
        session, {"phone": phone, "password": password, "community": community}
    )


@pytest.fixture
def community(session, anonymous, caller):
    identity = signup(session, anonymous)
    return {"identity": identity, "leader": as_caller(identity)}


def test_the_leader_adds_staff_who_log_in_as_staff(session, community):
    added = add(session, community["leader"])
    assert set(added) == {"id", "phone", "display_name", "role", "created_at"}  # never the hash
    assert (added["phone"], added["display_name"], added["role"]) == (HELPER, "Xiao Zhang", "staff")
    with session.begin():
        account = session.get(Account, added["id"])
        assert (
            account.tenant_id == community["identity"]["tenant_id"] and account.status == "active"
        )
        assert (
            account.password_hash.startswith("$argon2id$") and PASSWORD not in account.password_hash
        )
    identity = login(session)
    assert (
        identity["role"] == "staff"
        and identity["account_id"] == added["id"]
        and identity["member_id"] is None
    )
    assert identity["tenant_id"] == community["identity"]["tenant_id"]


def test_staff_input_is_validated_like_a_signup(session, community):
    with pytest.raises(Invalid) as raised:
        add(session, community["leader"], phone="12345", password="short", display_name="x" * 41)
    assert set(raised.value.extra["errors"]) == {"phone", "password", "display_name"}
    with pytest.raises(Invalid) as raised, session.begin():
        staff.add_staff(
            session,
            community["leader"],
            {"phone": HELPER, "password": PASSWORD, "display_name": "x", "role": "leader"},
        )
    assert "role" in raised.value.extra["errors"]


@pytest.mark.parametrize(
    "phone", [HELPER, "13800000001", "13900000001"], ids=["staff", "leader", "member"]
)
def test_a_phone_already_used_in_the_community_is_a_conflict(session, anonymous, community, phone):
    add(session, community["leader"])
    with session.begin():
        joining.join_community(
            session,
            anonymous,
            "sunny-garden",
            {
                "phone": "13900000001",
                "password": PASSWORD,
                "name": "Xiao Li",
                "building": "3",
                "unit": "501",
            },
        )
    with pytest.raises(Conflict) as raised:
        add(session, community["leader"], phone=phone, display_name="Someone else")
    assert raised.value.extra["reason"] == "phone_taken" and "phone" in raised.value.extra["errors"]
    with session.begin():
        assert session.query(Account).filter_by(phone=phone).count() == 1


def test_only_the_leader_manages_staff(session, community, caller):
    added = add(session, community["leader"])
    tenant_id = community["identity"]["tenant_id"]
    for someone in (as_caller(login(session)), caller("member", tenant_id=tenant_id)):
        with pytest.raises(Forbidden), session.begin():
            staff.add_staff(
                session,
                someone,
                {"phone": "13700000002", "password": PASSWORD, "display_name": "x"},
            )
        with pytest.raises(Forbidden), session.begin():
            staff.list_staff(session, someone)
        with pytest.raises(Forbidden), session.begin():
            staff.remove_staff(session, someone, added["id"])
    with session.begin():
        assert [s["id"] for s in staff.list_staff(session, community["leader"])["items"]] == [
            added["id"]
        ]


def test_the_list_holds_this_community_s_active_staff_only(session, anonymous, caller, community):
    first = add(session, community["leader"])
    second = add(session, community["leader"], phone="13700000002", display_name="Xiao Zhao")
    gone = add(session, community["leader"], phone="13700000003", display_name="Xiao Qian")
    other_leader = as_caller(signup(session, anonymous, slug="green-court", phone="13800000002"))
    # The same phone may help in another community: accounts are per community.
    theirs = add(session, other_leader, phone=HELPER, display_name="Lao Sun")
    with session.begin():
        staff.remove_staff(session, community["leader"], gone["id"])
        ours = staff.list_staff(session, community["leader"])["items"]
        others = staff.list_staff(session, other_leader)["items"]
    assert [s["id"] for s in ours] == [first["id"], second["id"]]  # not the leader, not the removed
    assert [s["id"] for s in others] == [theirs["id"]] and theirs["id"] != first["id"]


def test_removing_is_404_for_anything_but_this_community_s_active_staff(
    session, anonymous, caller, community
):
    added = add(session, community["leader"])
    other_leader = as_caller(signup(session, anonymous, slug="green-court", phone="13800000002"))
    with session.begin():
        member = joining.join_community(
            session,
            anonymous,
            "sunny-garden",
            {
                "phone": "13900000001",
                "password": PASSWORD,
                "name": "Xiao Li",
                "building": "3",
                "unit": "501",
            },
        )
    for who, account_id in (
        (other_leader, added["id"]),
        (community["leader"], member["account_id"]),
        (community["leader"], community["identity"]["account_id"]),
        (community["leader"], "no-such-account"),
        (community["leader"], None),
    ):
        with pytest.raises(NotFound), session.begin():
            staff.remove_staff(session, who, account_id)
    login(session)  # nothing of that touched the helper
    with session.begin():
        assert staff.remove_staff(session, community["leader"], added["id"]) == {
            "id": added["id"],
            "deleted": True,
        }
    with pytest.raises(NotFound), session.begin():  # a second removal: no staff left to remove
        staff.remove_staff(session, community["leader"], added["id"])


def test_a_removed_helper_can_neither_log_in_nor_use_an_old_token(session, caller, community):
    add(session, community["leader"])
    token = as_caller(login(session))
    with session.begin():
        assert staff.confirm_staff_access(session, token)["role"] == "staff"
        assert handlers.get_me(session, token)["role"] == "staff"
        staff.remove_staff(session, community["leader"], token.account_id)
    with pytest.raises(Unauthorized):
        login(session)  # the same answer as a wrong password
    with pytest.raises(Unauthorized) as raised, session.begin():
        staff.confirm_staff_access(session, token)
    assert raised.value.extra["reason"] == "access_removed"
    with pytest.raises(Unauthorized), session.begin():
        handlers.get_me(session, token)


def test_a_helper_added_again_gets_in_with_the_new_password_but_old_tokens_stay_refused(
    session, caller, community
):
    added = add(session, community["leader"])
    old_token = as_caller(login(session))
    with session.begin():
        staff.remove_staff(session, community["leader"], added["id"])
    again = add(
        session, community["leader"], password="a brand new secret", display_name="Xiao Zhang 2"
    )
    assert again["id"] == added["id"]  # the same person: what they did before stays theirs
    with pytest.raises(Unauthorized):
        login(session)  # the old password no longer opens it
    with session.begin():
        removed_at = session.get(Account, added["id"]).removed_at.timestamp()
    new_token = as_caller(
        login(session, password="a brand new secret"), issued_at=int(removed_at) + 1
    )
    with session.begin():
        assert staff.confirm_staff_access(session, new_token)["account_id"] == added["id"]
        assert [
            s["display_name"] for s in staff.list_staff(session, community["leader"])["items"]
        ] == ["Xiao Zhang 2"]
    for stale in (
        old_token,
        as_caller(login(session, password="a brand new secret"), issued_at=int(removed_at)),
    ):
        with (
            pytest.raises(Unauthorized),
            session.begin(),
        ):  # before, or within the second of, the removal
            staff.confirm_staff_access(session, stale)


def test_access_is_confirmed_only_for_the_token_s_own_community_and_role(
    session, anonymous, caller, community
):
    added = add(session, community["leader"])
    token = as_caller(login(session))
    elsewhere = signup(session, anonymous, slug="green-court", phone="13800000002")["tenant_id"]
    for forged in (
        Caller(
            tenant_id=elsewhere, account_id=added["id"], role="staff", issued_at=token.issued_at
        ),
        Caller(
            tenant_id=token.tenant_id,
            account_id="no-such-account",
            role="staff",
            issued_at=token.issued_at,
        ),
    ):
        with pytest.raises(Unauthorized), session.begin():
            staff.confirm_staff_access(session, forged)
    with pytest.raises(Forbidden), session.begin():  # only staff tokens are asked about
        staff.confirm_staff_access(
            session, caller("member", tenant_id=token.tenant_id, account_id=added["id"])
        )
