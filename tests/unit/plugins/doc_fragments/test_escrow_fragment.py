# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The escrow option is documented once, as it is specified, and every plugin that takes it says so."""
from __future__ import annotations

import ast
import os
import re

import yaml

from ansible_collections.fleet2fa.nas.plugins.doc_fragments.escrow import ModuleDocFragment
from ansible_collections.fleet2fa.nas.plugins.module_utils import _escrow_spec
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._action import checked_escrow

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


def _documentation(path):
    """The DOCUMENTATION of a plugin file, parsed, without importing it."""
    with open(path) as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION":
            return yaml.safe_load(node.value.value)
    return {}


def test_the_fragment_documents_every_suboption_with_the_specs_type_default_and_choices():
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]["escrow"]["suboptions"]
    assert sorted(documented) == sorted(_escrow_spec.SUBOPTIONS)
    for name, spec in _escrow_spec.SUBOPTIONS.items():
        assert documented[name]["type"] == spec["type"], name
        assert documented[name].get("default") == spec.get("default"), name
        assert documented[name].get("choices") == spec.get("choices"), name


def test_the_escrow_action_group_is_exactly_the_modules_that_take_the_escrow_option():
    with open(os.path.join(TOP, "meta", "runtime.yml")) as handle:
        runtime = yaml.safe_load(handle)
    modules = os.path.join(TOP, "plugins", "modules")
    taking = sorted(name[:-3] for name in os.listdir(modules)
                    if "fleet2fa.nas.escrow" in _documentation(os.path.join(modules, name)).get("extends_documentation_fragment", []))
    assert sorted(runtime["action_groups"]["escrow"]) == taking


def test_the_module_defaults_example_of_meta_runtime_is_a_valid_escrow_option():
    with open(os.path.join(TOP, "meta", "runtime.yml")) as handle:
        example = re.search(r"group/fleet2fa\.nas\.escrow: (\{.*\})$", handle.read(), re.M).group(1)
    escrow = yaml.safe_load(example)["escrow"]
    assert checked_escrow(escrow)["backend"] == escrow["backend"]
