"""Write the vendored CRD schemas of tests/unit/schemas/ from the projects' published CRDs.

    python tests/unit/schemas/trim_crd.py CRD.yaml VERSION > tests/unit/schemas/<kind>.json

Keeps ``spec`` of the served ``VERSION`` as published, less the descriptions, and forbids
properties the CRD does not define (the API server would drop them silently; a typo must fail).
"""

import json
import sys

import yaml


def closed(node):
    if isinstance(node, list):
        return [closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: closed(value) for key, value in node.items() if key != "description"}
    if (
        "properties" in node
        and "additionalProperties" not in node
        and not node.get("x-kubernetes-preserve-unknown-fields")
    ):
        node["additionalProperties"] = False
    return node


def main(path, version):
    with open(path, encoding="utf-8") as f:
        crd = yaml.safe_load(f)
    (served,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
    schema = closed(served["schema"]["openAPIV3Schema"]["properties"]["spec"])
    schema["$comment"] = (
        f"{crd['metadata']['name']} {version}: spec, descriptions removed (trim_crd.py)"
    )
    json.dump(schema, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
