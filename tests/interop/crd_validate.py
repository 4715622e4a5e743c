#!/usr/bin/env python3
"""Validate Kubernetes objects (YAML, one or more documents) against a CRD's openAPIV3Schema
(JSON, as committed in tests/schemas/), the way the API server with strict field validation
would: unknown fields are errors (additionalProperties: false on every object schema that lists
properties and does not preserve unknown fields), and `int-or-string` fields accept both.

  crd_validate.py SCHEMA.json OBJECTS.yaml [--kind KIND --api-version V]

Exit 0 when every document validates, 1 otherwise (the errors are printed).
"""
import copy
import json
import sys

import jsonschema
import yaml


def strict(schema):
    s = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if node.get("x-kubernetes-int-or-string"):
                node.pop("type", None)
                node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
            if "properties" in node and not node.get("x-kubernetes-preserve-unknown-fields") \
                    and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for v in list(node.values()):
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(s)
    # apiVersion/kind/metadata are validated by the API server itself.
    s.setdefault("properties", {})
    s["properties"]["metadata"] = {"type": "object"}
    s["properties"].setdefault("apiVersion", {"type": "string"})
    s["properties"].setdefault("kind", {"type": "string"})
    return s


def main():
    schema_path, objects_path = sys.argv[1], sys.argv[2]
    with open(schema_path) as f:
        schema = json.load(f)
    schema.pop("$comment", None)
    validator = jsonschema.Draft7Validator(strict(schema))
    with open(objects_path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    if not docs:
        sys.exit("no document")
    bad = 0
    for i, d in enumerate(docs):
        for e in sorted(validator.iter_errors(d), key=lambda e: list(e.path)):
            bad += 1
            print(f"document {i + 1}: {'/'.join(map(str, e.path)) or '(root)'}: {e.message}")
    if bad:
        sys.exit(1)
    print(f"OK: {len(docs)} document(s) valid")


if __name__ == "__main__":
    main()
