"""gateway/schemas/ mirrors gateway/routes/: each route module validates and documents with the
schemas module of its own name, and no schemas module is left without its routes."""

import ast
from pathlib import Path

GATEWAY = Path(__file__).resolve().parents[2] / "gateway"
NO_INPUT = {"web", "roles"}  # static files; the roles a token must carry


def modules(folder):
    return {path.stem for path in (GATEWAY / folder).glob("*.py") if path.stem != "__init__"}


def schema_imports(route_module):
    tree = ast.parse((GATEWAY / "routes" / f"{route_module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "gateway.schemas":
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "gateway.schemas."
        ):
            found.add(node.module.removeprefix("gateway.schemas."))
    return found - {"common"}


def test_every_route_module_has_its_schemas_module_and_no_other():
    routes, schemas = modules("routes"), modules("schemas")
    assert routes - NO_INPUT == schemas - {"common"}
    for name in routes - NO_INPUT:
        assert schema_imports(name) == {name}, name
    for name in NO_INPUT:
        assert schema_imports(name) == set(), name
