"""One convention per service (docs/architecture.md, "Inside a service"), checked by reading the
code, so a schema or a raw remote call that lands in the wrong place fails here at once:

- a marshmallow schema class lives in its service's ``schemas.py`` (crm's in the ``schemas.py`` of
  each subpackage), or, for the events a service consumes, in its ``events.py``;
- another service is called only through a small wrapper class with domain verbs in the
  service's ``service.py`` (orders' ``Catalog``, referral's ``Crm``...), which use cases receive
  and unit tests fake (tests/unit/fakes.py); the gateway's one way out is its ``call`` method;
- a use case that opens a transaction itself (instead of its entrypoint) says why.
"""

import ast
from pathlib import Path

import pytest

from services.infra import topology

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "services"
SCHEMA_HOMES = {"schemas.py", "events.py"}
# The bases every schema of the house derives from (marshmallow's and services.infra.schemas').
SCHEMA_BASES = {"Schema", "StrictSchema", "PageSchema", "TolerantSchema"}
# The gateway's calls on its RPC client that do not go through ``call``, and why.
GATEWAY_RAW_CALLS = {
    ("gateway/service.py", "GatewayService.call"): "the one way out itself",
    ("gateway/service.py", "GatewayService._confirm_staff_access"): "what ``call`` asks first",
    (
        "gateway/routes/operations.py",
        "OperationsRoutes._ping",
    ): "/health: no token, a timeout of its own",
}


def service_modules():
    """Every module of the services (not the shared infrastructure, not the migrations)."""
    return sorted(
        path
        for path in SERVICES.rglob("*.py")
        if path.relative_to(SERVICES).parts[0] != "infra" and "migrations" not in path.parts
    )


def parse(path):
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def base_name(node):
    """``StrictSchema`` for ``StrictSchema`` and ``events.OrderData`` -> ``OrderData``."""
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def schema_classes(trees):
    """``{(path, line, name)}`` of every class that is a marshmallow schema: one whose base is a
    schema base, or a schema class itself (``class MoveOrderInput(MoveWaveInput)``)."""
    classes = [
        (path, node)
        for path, tree in trees.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
    ]
    schemas, grew = set(SCHEMA_BASES), True
    while grew:
        grew = False
        for _path, node in classes:
            if node.name not in schemas and any(base_name(base) in schemas for base in node.bases):
                schemas.add(node.name)
                grew = True
    return {
        (path, node.lineno, node.name)
        for path, node in classes
        if node.name in schemas - SCHEMA_BASES
        or any(base_name(base) in SCHEMA_BASES for base in node.bases)
    }


def misplaced_schemas(trees):
    return sorted(
        f"{path.relative_to(ROOT)}:{line} {name}"
        for path, line, name in schema_classes(trees)
        if path.name not in SCHEMA_HOMES
    )


def calls_on_a_client(tree):
    """``(node, qualified name of the function it is in, enclosing top-level class)`` of every
    ``<something>.call(...)``."""
    found = []

    def visit(node, scope, top_class):
        for child in ast.iter_child_nodes(node):
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr == "call"
            ):
                found.append((child, ".".join(scope), top_class))
            if isinstance(child, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                inner_class = (
                    top_class
                    if top_class is not None or not isinstance(child, ast.ClassDef)
                    else child
                )
                visit(child, [*scope, child.name], inner_class)
            else:
                visit(child, scope, top_class)

    visit(tree, [], None)
    return found


def is_wrapper(cls):
    """A remote service's wrapper: built over an RPC client (``__init__(self, rpc)``), not a
    nameko service (those declare a ``name``)."""
    if cls is None:
        return False
    declares_name = any(
        isinstance(node, ast.Assign) and any(base_name(t) == "name" for t in node.targets)
        for node in cls.body
    )
    init = next(
        (
            node
            for node in cls.body
            if isinstance(node, ast.FunctionDef) and node.name == "__init__"
        ),
        None,
    )
    return (
        not declares_name
        and init is not None
        and [arg.arg for arg in init.args.args] == ["self", "rpc"]
    )


def raw_service_calls(trees):
    """Calls on an RPC client outside a wrapper class of a ``service.py`` (only as
    ``self.rpc.call``)."""
    raw = []
    for path, tree in trees.items():
        for node, where, top_class in calls_on_a_client(tree):
            wrapped = (
                path.name == "service.py"
                and is_wrapper(top_class)
                and ast.unparse(node.func) == "self.rpc.call"
            )
            if not wrapped:
                raw.append(
                    f"{path.relative_to(ROOT)}:{node.lineno} {where or '<module>'}: "
                    f"{ast.unparse(node)[:80]}"
                )
    return sorted(raw)


def raw_gateway_calls():
    """The gateway's calls that do not go through its ``self.call``, and are not declared above."""
    raw = []
    for path in sorted((ROOT / "gateway").rglob("*.py")):
        relative = str(path.relative_to(ROOT))
        for node, where, _top_class in calls_on_a_client(parse(path)):
            if ast.unparse(node.func) != "self.call" and (relative, where) not in GATEWAY_RAW_CALLS:
                raw.append(f"{relative}:{node.lineno} {where}: {ast.unparse(node)[:80]}")
    return raw


def opens_a_transaction(function):
    return any(
        isinstance(node, ast.With)
        and any(
            isinstance(item.context_expr, ast.Call)
            and isinstance(item.context_expr.func, ast.Attribute)
            and item.context_expr.func.attr == "begin"
            for item in node.items
        )
        for node in ast.walk(function)
    )


def silent_transaction_owners(trees):
    """Use cases (outside ``service.py``) that open ``session.begin()`` without saying why."""
    silent = []
    for path, tree in trees.items():
        if path.name == "service.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and opens_a_transaction(node):
                doc = (ast.get_docstring(node) or "").lower()
                if "transaction" not in doc and "commit" not in doc:
                    silent.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    return sorted(silent)


@pytest.fixture(scope="module")
def trees():
    return {path: parse(path) for path in service_modules()}


def test_every_schema_class_lives_in_schemas_py_or_events_py(trees):
    assert misplaced_schemas(trees) == []


def test_every_service_has_its_schemas_module():
    for service in sorted(path for path in SERVICES.iterdir() if (path / "service.py").exists()):
        homes = list(service.glob("schemas.py")) + list(service.glob("*/schemas.py"))
        assert homes, f"{service.name} has no schemas.py"


def test_another_service_is_called_only_through_a_wrapper_in_service_py(trees):
    assert raw_service_calls(trees) == []


def test_the_gateway_calls_services_only_through_its_call_method():
    assert raw_gateway_calls() == []


@pytest.mark.parametrize("service", topology.SERVICES)
def test_a_use_case_that_owns_its_transactions_says_why(trees, service):
    assert (
        silent_transaction_owners(
            {
                path: tree
                for path, tree in trees.items()
                if path.relative_to(SERVICES).parts[0] == service
            }
        )
        == []
    )


def test_the_checks_see_what_they_are_meant_to_see():
    """The rules above fail on code that breaks them (else an empty list proves nothing)."""
    use_case = SERVICES / "orders" / "example.py"
    service = SERVICES / "orders" / "service.py"
    code = {
        use_case: ast.parse(
            "class TermsInput(StrictSchema): pass\n"
            "class MoreTerms(TermsInput): pass\n"
            "class Facts(events.OrderData): pass\n"
            "class OrderData(TolerantSchema): pass\n"
            "def price(session, remote):\n"
            "    with session.begin():\n"
            "        return remote.call('crm', 'apply_checkout', {})\n"
        ),
        service: ast.parse(
            "class Crm:\n"
            "    def __init__(self, rpc):\n"
            "        self.rpc = rpc\n"
            "    def apply_checkout(self, payload):\n"
            "        return self.rpc.call('crm', 'apply_checkout', payload)\n"
            "class OrdersService:\n"
            "    name = 'orders'\n"
            "    def poster(self):\n"
            "        return self.remote.call('catalog', 'get_product', 'p1')\n"
        ),
    }
    assert [entry.split(" ", 1)[1] for entry in misplaced_schemas(code)] == [
        "TermsInput",
        "MoreTerms",
        "Facts",
        "OrderData",
    ]
    assert [entry.split(" ", 1)[1].split(":")[0] for entry in raw_service_calls(code)] == [
        "price",
        "OrdersService.poster",
    ]
    assert [entry.split(" ")[1] for entry in silent_transaction_owners(code)] == ["price"]
