#!/usr/bin/env python3
"""Write the fixtures of the declarative Terraform rules from their catalogue files:
tests/fixtures/rules/terraform/<rule>/pos/main.tf is the rule's `example`, neg/main.tf its
`check.pass_example` (with a `.pipeguard.yml` asking for the rule's persona). The files are checked in and asserted (exact lines) by the snapshot suite;
rerun after editing a rule, then `INSTA_UPDATE=always cargo test -p pipeguard --test suite --
rule_fixtures::terraform` and review the .snap diffs. Usage: scripts/tf-declarative-fixtures.py"""
import os
import sys

import yaml

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rules = os.path.join(root, "crates/engine/rules/terraform")
fixtures = os.path.join(root, "tests/fixtures/rules/terraform")
n = 0
for name in sorted(os.listdir(rules)):
    if not name.endswith(".yaml"):
        continue
    with open(os.path.join(rules, name)) as f:
        doc = yaml.safe_load(f)
    check = doc.get("check")
    if not check:
        continue
    rule = doc["id"].split("/", 1)[1]
    for kind, text in (("pos", doc["example"]), ("neg", check.get("pass_example", ""))):
        if not text.strip():
            sys.exit(f"{name}: empty {kind} example")
        d = os.path.join(fixtures, rule, kind)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "main.tf"), "w") as f:
            f.write(text)
        # Rules above the regular persona report only when the scan asks for it.
        cfg = os.path.join(d, ".pipeguard.yml")
        persona = check.get("persona", "regular")
        if persona != "regular":
            with open(cfg, "w") as f:
                f.write(f"persona: {persona}\n")
        elif os.path.exists(cfg):
            os.remove(cfg)
    n += 1
print(f"{n} declarative rules: fixtures written", file=sys.stderr)
