# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The findings rules, from host facts shaped as otp_state_info returns them to findings."""
from __future__ import annotations

import copy
import datetime
import json

import pytest

from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey
from ansible_collections.fleet2fa.nas.plugins.plugin_utils import _findings as findings
from ansible_collections.fleet2fa.nas.plugins.plugin_utils import _report as report
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowEntry

NOW = datetime.datetime(2026, 12, 31, 12, 0, 0, tzinfo=datetime.timezone.utc)
FAILLOCK_ARGS = ["dir=/run/fleet2fa-faillock", "deny=10", "unlock_time=600"]
DEBIAN_AUTH = [
    {"file": "sshd", "control": "required", "module": "pam_faillock.so", "args": ["preauth"] + FAILLOCK_ARGS},
    {"file": "sshd", "control": "optional", "module": "pam_faillock.so", "args": ["authfail"] + FAILLOCK_ARGS},
    {"file": "common-auth", "control": "[success=1 default=ignore]", "module": "pam_unix.so", "args": ["nullok"]},
    {"file": "common-auth", "control": "requisite", "module": "pam_deny.so", "args": []},
    {"file": "common-auth", "control": "required", "module": "pam_permit.so", "args": []},
    {"file": "sshd", "control": "required", "module": "pam_oath.so",
     "args": ["usersfile=/etc/users.oath", "window=3", "digits=6"]},
]
ROOT_SSHD = {"usepam": "yes", "passwordauthentication": "no", "kbdinteractiveauthentication": "yes",
             "authenticationmethods": "publickey keyboard-interactive", "pubkeyauthentication": "yes",
             "permitrootlogin": "yes", "hostbasedauthentication": "no", "gssapiauthentication": "no"}
KEY = {"file": "/root/.ssh/authorized_keys", "type": "ssh-ed25519", "fingerprint": "SHA256:abc"}


def linux_user(**over):
    facts = {"sshd": dict(ROOT_SSHD), "code_gaps": [], "key_alone": True, "empty_password": False,
             "authorized_keys": [KEY], "match": []}
    facts.update(over)
    return facts


def clean_linux(fingerprint="sha256:0011"):
    return {"platform": "linux", "two_factor": True, "ssh_otp": True,
            "users": [{"user": "root", "fingerprint": fingerprint, "ssh_otp": True}],
            "posture": {"host_time": NOW.timestamp(), "pam_auth": copy.deepcopy(DEBIAN_AUTH), "oath_window": 3,
                        "automation_user": "root",
                        "usersfile": {"path": "/etc/users.oath", "mode": "0600", "uid": 0, "readable_by_others": False},
                        "users": {"root": linux_user()}}}


def clean_truenas():
    return {"platform": "truenas", "two_factor": True, "ssh_otp": True,
            "twofactor": {"enabled": True, "window": 1, "ssh": True},
            "users": [{"user": "root", "twofactor_configured": True, "ssh_password_login": True, "ssh_otp": True}],
            "posture": {"host_time": NOW.timestamp(), "api_keys": [], "admins": [], "https_redirect": True,
                        "limits": {"stig": True, "otp_tries_per_login": 3,
                                   "lockout": {"by": "pam_faillock", "deny": 3, "unlock_time": 900}}}}


class Store:
    """The escrow side is not under test here: no entries."""
    backend = "kv"

    def entries(self, host):
        return []


def ids(state, host="h1", policy=None, store=None):
    document, _guard = report.build([host], {host: state}, store or Store(), now=NOW, policy=policy)
    return sorted((f["id"], f["user"]) for f in document["findings"])


def test_clean_hosts_have_no_findings():
    assert ids(clean_linux()) == [("secret-not-escrowed", "root")]  # the store here holds nothing
    assert ids(clean_truenas()) == []


def _linux(edit):
    state = clean_linux()
    edit(state["posture"])
    return state


LINUX_CASES = [
    ("pam-oath-sufficient", None, lambda p: p["pam_auth"][5].update(control="sufficient")),
    ("pam-oath-optional", None, lambda p: p["pam_auth"][5].update(control="optional")),
    ("pam-oath-user-unknown-ignore", None,
     lambda p: p["pam_auth"][5].update(control="[success=ok user_unknown=ignore default=die]")),
    ("pam-oath-missing", None, lambda p: p["pam_auth"].pop(5)),
    ("pam-auth-sufficient-before-oath", None,
     lambda p: p["pam_auth"].insert(0, {"file": "sshd", "control": "sufficient", "module": "pam_rootok.so", "args": []})),
    ("pam-nullok", "root", lambda p: p["users"]["root"].update(empty_password=True)),
    ("sshd-code-skipped", "root", lambda p: p["users"]["root"].update(code_gaps=["UsePAM no"])),
    ("sshd-match-exempt", "root", lambda p: p["users"]["root"].update(
        match=[{"match": "Address 192.0.2.0/24", "file": "/etc/ssh/sshd_config", "key_alone": True,
                "code_gaps": ["HostbasedAuthentication yes"]}])),
    ("authorized-key-human", "alice", lambda p: p["users"].update(alice=linux_user())),
    ("window-wide", None, lambda p: p.update(oath_window=5)),
    ("rate-limit-missing", None, lambda p: p["pam_auth"][0]["args"].remove("preauth")),
    ("rate-limit-missing", None, lambda p: p["pam_auth"][0]["args"].__setitem__(2, "deny=500")),
    ("users-oath-readable", None, lambda p: p["usersfile"].update(mode="0644", readable_by_others=True)),
    ("clock-skew", None, lambda p: p.update(host_time=NOW.timestamp() + 50)),
]


@pytest.mark.parametrize("rule,user,edit", LINUX_CASES, ids=["%s-%d" % (c[0], i) for i, c in enumerate(LINUX_CASES)])
def test_each_linux_weakness_is_one_finding_of_its_rule(rule, user, edit):
    found = [f for f in ids(_linux(edit)) if f[0] != "secret-not-escrowed"]
    assert found == [(rule, user)]


def test_nullok_alone_is_no_finding_while_every_password_is_set():
    assert "pam-nullok" not in [i for i, _u in ids(clean_linux())]


def test_a_key_of_the_automation_account_or_an_accepted_user_is_no_finding():
    state = _linux(lambda p: p["users"].update(alice=linux_user()))
    assert ("authorized-key-human", "alice") not in ids(state, policy={"accepted_key_users": ["alice"]})
    state = _linux(lambda p: p["users"].update(alice=linux_user(key_alone=False)))
    assert ("authorized-key-human", "alice") not in ids(state)  # key_and_otp: the key still needs the code


def test_window_policy_is_the_threshold():
    assert ("window-wide", None) in ids(clean_linux(), policy={"max_window": 1})


def _truenas(edit):
    state = clean_truenas()
    edit(state)
    return state


TRUENAS_CASES = [
    ("truenas-2fa-off", None, lambda s: s["twofactor"].update(enabled=False)),
    ("truenas-ssh-2fa-off", None, lambda s: s["twofactor"].update(ssh=False)),
    ("truenas-password-ssh-no-secret", "root", lambda s: s["users"][0].update(twofactor_configured=False)),
    ("truenas-api-key", "admin", lambda s: s["posture"].update(api_keys=[{"id": 3, "name": "ci", "owner": "admin"}])),
    ("window-wide", None, lambda s: s["twofactor"].update(window=4)),
    ("truenas-http", None, lambda s: s["posture"].update(https_redirect=False)),
    ("truenas-root-password-login", "root", lambda s: s["posture"].update(admins=["alice"])),
]


@pytest.mark.parametrize("rule,user,edit", TRUENAS_CASES, ids=[c[0] for c in TRUENAS_CASES])
def test_each_truenas_weakness_is_one_finding_of_its_rule(rule, user, edit):
    assert ids(_truenas(edit)) == [(rule, user)]


def test_a_box_without_a_lockout_gets_a_low_finding_naming_its_tries():
    state = _truenas(lambda s: s["posture"].update(limits={"stig": False, "otp_tries_per_login": 3, "lockout": None}))
    document, _guard = report.build(["h1"], {"h1": state}, Store(), now=NOW)
    assert [(f["id"], f["severity"], f["detail"]) for f in document["findings"]] == [
        ("truenas-no-lockout", "low", "3 codes a login, then a new login; STIG mode is not on")]
    assert document["hosts"][0]["failure_limit"] == {"by": None, "deny": None, "unlock_time": None,
                                                     "otp_tries_per_login": 3}


@pytest.mark.parametrize("limits", [None, {"stig": None, "otp_tries_per_login": None, "lockout": None}],
                         ids=["not-read", "stig-unknown"])
def test_unknown_limits_are_no_finding(limits):
    assert ids(_truenas(lambda s: s["posture"].update(limits=limits))) == []


def test_a_box_with_2fa_off_gets_no_lockout_finding_on_top():
    state = _truenas(lambda s: (s["twofactor"].update(enabled=False),
                                s["posture"].update(limits={"stig": False, "otp_tries_per_login": None, "lockout": None})))
    assert ids(state) == [("truenas-2fa-off", None)]


def test_the_linux_failure_limit_is_read_from_the_faillock_line_before_pam_oath():
    document, _guard = report.build(["h1"], {"h1": clean_linux()}, Store(), now=NOW)
    assert document["hosts"][0]["failure_limit"] == {"by": "pam_faillock", "deny": 10, "unlock_time": 600,
                                                     "otp_tries_per_login": None}
    state = clean_linux()
    state["posture"]["pam_auth"] = [line for line in state["posture"]["pam_auth"] if line["module"] != "pam_faillock.so"]
    document, _guard = report.build(["h1"], {"h1": state}, Store(), now=NOW)
    assert document["hosts"][0]["failure_limit"]["by"] is None


def test_unknown_https_redirect_is_no_finding():
    assert ids(_truenas(lambda s: s["posture"].update(https_redirect=None))) == []


def test_escrow_findings_old_secret_mismatch_and_devices(tmp_path):
    from ansible.parsing.vault import VaultSecret
    from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.registry import open_escrow
    store = open_escrow({"dir": str(tmp_path / "escrow")}, vault_secrets=[("default", VaultSecret(b"pw"))])
    entry = EscrowEntry.new("root", TotpKey.generate(), account="root@h1")
    entry.created = "2024-01-01T00:00:00Z"
    entry.devices = [{"name": "primary", "verified": True}]
    store.put_once("h1", "root", entry)
    found = ids(clean_linux("sha256:not-the-escrowed-one"), store=store)
    assert found == [("devices-below-two", "root"), ("escrow-fingerprint-mismatch", "root"), ("secret-old", "root")]
    (tmp_path / "escrow" / "h1.yml").chmod(0o644)
    assert ("escrow-readable", None) in ids(clean_linux(store.get("h1", "root").fingerprint), store=store)


def test_findings_are_sorted_by_severity_then_host():
    states = {"b": _linux(lambda p: p.update(oath_window=9)), "a": _linux(lambda p: p["pam_auth"].pop(5)),
              "c": _truenas(lambda s: s["posture"].update(https_redirect=False))}
    document, _guard = report.build(list(states), states, Store(), now=NOW)
    order = [(f["severity"], f["host"]) for f in document["findings"] if f["id"] != "secret-not-escrowed"]
    assert order == [("high", "a"), ("medium", "c"), ("low", "b")]
    assert document["summary"]["findings"] == {"high": 1, "medium": 3, "low": 1}


def test_every_rule_has_a_slug_id_a_severity_a_title_and_a_fix():
    for rule_id, rule in findings.RULES.items():
        assert rule_id == rule.id and rule_id.replace("-", "").isalnum() and rule_id.islower()
        assert rule.severity in findings.SEVERITIES and rule.title and rule.fix


def test_gate_takes_the_chosen_severity_and_worse_and_names_ids_and_hosts():
    found = [findings.finding("window-wide", "h1"), findings.finding("pam-nullok", "h2", "bob"),
             findings.finding("truenas-api-key", "h3", "admin")]
    assert [f["id"] for f in findings.at_or_above(found, "medium")] == ["pam-nullok", "truenas-api-key"]
    assert findings.at_or_above(found, None) == []
    message = findings.gate_message(findings.at_or_above(found, "high"), "high")
    assert message.startswith("1 finding(s) at or above high: pam-nullok on h2 (bob)")
    with pytest.raises(findings.FindingsError, match="fail_on: 'urgent'"):
        findings.at_or_above(found, "urgent")


def test_bad_policy_names_the_setting():
    with pytest.raises(findings.FindingsError, match="max_window must be a whole number"):
        findings.policy_of({"max_window": -1})


def test_no_finding_holds_a_secret_a_code_or_a_password(tmp_path):
    from ansible.parsing.vault import VaultSecret
    from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.registry import open_escrow
    store = open_escrow({"dir": str(tmp_path / "escrow")}, vault_secrets=[("default", VaultSecret(b"pw"))])
    key = TotpKey.generate()
    entry = EscrowEntry.new("root", key, account="root@h1")
    store.put_once("h1", "root", entry)
    weak = clean_linux("sha256:other")
    for _rule, _user, edit in LINUX_CASES:
        try:
            edit(weak["posture"])
        except (ValueError, IndexError):
            pass  # an edit made for the clean stack, on a stack that earlier edits changed
    document, guard = report.build(["h1"], {"h1": weak}, store, now=NOW, policy={"max_window": 0})
    guard.add_value("Lab-root-pw-7Yq2", "the password variable lab_root_password of h1")
    text = json.dumps(document["findings"])
    assert len(document["findings"]) >= 8
    for form in (key.secret, key.secret.lower(), key.hex, key.hex.lower(), key.now()):
        assert form not in text
    guard.check(report.to_json(document, guard).decode(), "JSON report")
    gate = findings.gate_message(findings.at_or_above(document["findings"], "low"), "low")
    assert key.secret not in gate and key.now() not in gate
