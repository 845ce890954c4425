"""The fakes of the remote service wrappers (tests/unit/fakes.py) stay true to the real ones:
a verb renamed, removed or re-signed in a real wrapper fails here, not in some later test that
happened to pass against a fake that answered what the real one no longer does."""

import inspect

import pytest
from fakes import FAKES, FakeCatalog, NoRpc

from gateway.service import GatewayService
from services.fulfillment import service as fulfillment_service
from services.fulfillment.service import Orders
from services.infra.rpc import RpcClient
from services.orders.service import Catalog, Crm
from services.referral import service as referral_service


def public_methods(cls, stop):
    """The public methods ``cls`` defines itself or inherits from classes between it and
    ``stop``."""
    found = {}
    for klass in cls.__mro__[: cls.__mro__.index(stop)]:
        for name, value in vars(klass).items():
            if not name.startswith("_") and name not in found and inspect.isfunction(value):
                found[name] = value
    return found


def test_every_wrapper_a_use_case_calls_through_has_a_fake():
    assert set(FAKES.values()) == {
        Catalog,
        Crm,
        Orders,
        RpcClient,
        GatewayService,
        fulfillment_service.Catalog,
        referral_service.Catalog,
        referral_service.Orders,
        referral_service.Crm,
        referral_service.Fulfillment,
    }


@pytest.mark.parametrize("fake, real", FAKES.items(), ids=lambda cls: cls.__name__)
def test_a_fake_answers_only_the_real_wrapper_s_verbs_with_the_same_signatures(fake, real):
    assert issubclass(fake, real)
    verbs = public_methods(fake, real)
    assert verbs, f"{fake.__name__} overrides nothing of {real.__name__}"
    for name, method in verbs.items():
        assert callable(getattr(real, name, None)), (
            f"{real.__name__} has no {name}: {fake.__name__} drifted"
        )
        assert inspect.signature(method) == inspect.signature(getattr(real, name)), (
            f"{fake.__name__}.{name} is not called like {real.__name__}.{name}"
        )


def test_a_verb_added_to_a_real_wrapper_fails_with_its_name_until_the_fake_answers_it():
    class GrownCatalog(Catalog):  # the real wrapper with a verb its fake does not know yet
        def get_product(self, product_id):
            return self.rpc.call("catalog", "get_product", product_id)

    class Fake(FakeCatalog, GrownCatalog):
        pass

    with pytest.raises(AssertionError, match=r"catalog\.get_product"):
        Fake().get_product("p1")
    assert isinstance(Fake().rpc, NoRpc)
