# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.fleet2fa.nas.plugins.filter.jmespath import FilterModule
from ansible_collections.fleet2fa.nas.plugins.module_utils._time import TIMESTAMP_FORMAT
from ansible_collections.fleet2fa.nas.plugins.plugin_utils import _query as query

jmespath_filter = FilterModule().filters()["jmespath"]

UTC = datetime.timezone.utc


def ago(days):
    return (datetime.datetime.now(UTC) - datetime.timedelta(days=days, hours=1)).strftime(TIMESTAMP_FORMAT)


ENTRIES = [
    {"host": "nas1", "user": "root", "created": ago(200), "rotated": ago(10)},
    {"host": "nas2", "user": "root", "created": ago(120), "rotated": None},
    {"host": "nas3", "user": "admin", "created": ago(5), "rotated": None},
]


def test_secrets_older_than_90_days_are_picked_by_their_last_rotation_or_creation():
    picked = jmespath_filter(ENTRIES, "[?age_days(rotated || created) > `90`].[host, user]")
    assert picked == [["nas2", "root"]]


@pytest.mark.parametrize("stamp, days", [
    ("2026-01-01T00:00:00Z", 31),
    ("2026-01-31T23:59:59Z", 0),
    ("2026-01-01T00:00:00+00:00", 31),
    ("2026-01-01T00:00:00", 31),  # no zone: read as UTC, the way the escrow writes it
    (None, None),
    ("not a date", None),
])
def test_age_days_counts_whole_days_in_utc(stamp, days):
    now = datetime.datetime(2026, 2, 1, 0, 0, 0, tzinfo=UTC)
    assert query.age_days(stamp, now=now) == days


def test_now_is_a_timestamp_that_age_days_reads_as_today():
    assert jmespath_filter({}, "age_days(now())") == 0


@pytest.mark.parametrize("expression", ["hosts[?", "hosts[?age_days(created) > 90", "foo..bar", "   "])
def test_a_bad_expression_fails_with_a_message_naming_it(expression):
    with pytest.raises(AnsibleFilterError) as failure:
        jmespath_filter({"hosts": []}, expression)
    message = str(failure.value)
    assert message.startswith("fleet2fa.nas.jmespath: ")
    assert (repr(expression) in message) or "non-empty" in message


def test_a_type_error_at_evaluation_names_the_expression():
    with pytest.raises(AnsibleFilterError, match=r"'age_days\(n\)' failed: .*age_days\(\)"):
        jmespath_filter({"n": 5}, "age_days(n)")


class TaggedStr(str):
    """Stands in for ansible-core's tagged strings, which jmespath's type checks do not know."""


def test_str_and_mapping_subclasses_are_queried_like_plain_types():
    data = {TaggedStr("hosts"): [{"host": TaggedStr("nas1"), "users": (TaggedStr("root"),)}]}
    assert jmespath_filter(data, "hosts[?starts_with(host, 'nas')].users[]") == ["root"]


def test_the_filter_runs_in_a_real_play_on_templated_data(tmp_path):
    playbook = tmp_path / "play.yml"
    out = tmp_path / "out.json"
    expression = "'[?starts_with(host, `\"' ~ prefix ~ '\"`) && age_days(rotated || created) > `90`].host'"
    play = [{
        "hosts": "localhost",
        "gather_facts": False,
        "vars": {"entries": ENTRIES, "prefix": "nas"},
        "tasks": [{"ansible.builtin.copy": {
            "dest": str(out),
            "content": "{{ entries | fleet2fa.nas.jmespath(%s) | to_json }}" % expression,
        }}],
    }]
    playbook.write_text(yaml.safe_dump(play))
    env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), str(playbook)],
                         capture_output=True, text=True, env=env, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    assert json.loads(out.read_text()) == ["nas2"]
