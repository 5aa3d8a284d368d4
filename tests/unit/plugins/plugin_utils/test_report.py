# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import datetime
import json
import os
import urllib.parse

import pytest

from ansible_collections.fleet2fa.nas.plugins.module_utils._totp import TotpKey
from ansible_collections.fleet2fa.nas.plugins.plugin_utils import _report as report
from ansible_collections.fleet2fa.nas.plugins.plugin_utils import _report_html as report_html
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowEntry
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._files import write_files
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._query import QueryError

NOW = datetime.datetime(2026, 12, 31, 12, 0, 0, tzinfo=datetime.timezone.utc)


def escrow(store, host, user, created, devices=(), rotated=None, last_login=None):
    entry = EscrowEntry.new(user, TotpKey.generate(), account="%s@%s" % (user, host))
    entry.created, entry.rotated = created, rotated
    entry.devices = [{"name": n, "verified": v} for n, v in devices]
    store.put_once(host, user, entry)
    if last_login:
        # What the rollout records after a proven login; the report reads it from the raw document.
        def add(doc):
            doc["users"][user]["last_proven_login"] = last_login
            return doc
        store._modify(host, add)
    return store.get(host, user)


def linux_state(*users):
    return {"changed": False, "platform": "linux", "two_factor": True, "ssh_otp": True,
            "users": [{"user": u.user, "type": "HOTP/T30/6", "fingerprint": u.fingerprint, "ssh_otp": True,
                       "last_used": "2026-12-30T10:00:00Z"} for u in users]}


@pytest.fixture
def fleet(store):
    entries = {
        "lin1": escrow(store, "lin1", "root", "2026-01-01T00:00:00Z", [("primary", True), ("backup", True)],
                       last_login="2026-12-30T09:00:00Z"),
        "tn1": escrow(store, "tn1", "root", "2026-12-01T00:00:00Z", [("primary", True), ("backup", False)],
                      rotated="2026-12-20T00:00:00Z"),
        "gone": escrow(store, "gone", "root", "2026-06-01T00:00:00Z"),
    }
    states = {
        "lin1": linux_state(entries["lin1"]),
        "tn1": {"platform": "truenas", "two_factor": True, "ssh_otp": False, "truenas_version": "TrueNAS-SCALE-24.10.2",
                "users": [{"user": "root", "twofactor_configured": True, "ssh_password_login": True, "ssh_otp": False}]},
        "gone": {"unreachable": True, "msg": "Failed to connect to the host via ssh: no route"},
        "bad": {"failed": True, "msg": "midclt was not found"},
    }
    document, guard = report.build(["lin1", "tn1", "gone", "bad", "never"], states, store, now=NOW)
    return document, guard, entries


def by_host(document):
    return {h["host"]: h for h in document["hosts"]}


def test_each_host_gets_its_status_and_unreachable_hosts_stay_in_the_report(fleet):
    hosts = by_host(fleet[0])
    assert {h: r["status"] for h, r in hosts.items()} == {
        "lin1": "ok", "tn1": "ok", "gone": "unreachable", "bad": "failed", "never": "not_checked"}
    assert "no route" in hosts["gone"]["error"]
    assert hosts["gone"]["users"][0]["escrowed"] is True  # what the escrow knows is still shown
    assert hosts["gone"]["two_factor"] is None and hosts["gone"]["users"][0]["ssh_otp"] is None
    assert fleet[0]["summary"]["by_status"] == {"ok": 2, "failed": 1, "unreachable": 1, "not_checked": 1}


def test_user_rows_join_host_state_and_escrow_metadata(fleet):
    document, _guard, entries = fleet
    root = by_host(document)["lin1"]["users"][0]
    assert root["host"] == "lin1" and root["two_factor"] and root["ssh_otp"]
    assert root["fingerprint"] == root["host_fingerprint"] == entries["lin1"].fingerprint
    assert root["fingerprint_match"] is True
    assert (root["verified_devices"], root["device_names"]) == (2, ["primary", "backup"])
    assert root["age_days"] == 364
    assert root["last_proven_login"] == "2026-12-30T09:00:00Z" and root["last_proven_login_age_days"] == 1
    tn = by_host(document)["tn1"]["users"][0]
    assert tn["age_days"] == 11  # counted from the rotation
    assert (tn["verified_devices"], tn["device_names"]) == (1, ["primary"])
    assert tn["fingerprint_match"] is None and tn["ssh_password_login"] is True and tn["ssh_otp"] is False


def test_a_host_secret_that_differs_from_the_escrow_is_flagged(store):
    entry = escrow(store, "lin1", "root", "2026-01-01T00:00:00Z")
    other = EscrowEntry.new("root", TotpKey.generate())
    document, dummy = report.build(["lin1"], {"lin1": linux_state(other)}, store, now=NOW)
    assert document["hosts"][0]["users"][0]["fingerprint_match"] is False
    assert document["hosts"][0]["users"][0]["fingerprint"] == entry.fingerprint
    assert document["summary"]["fingerprint_mismatches"] == 1


def test_a_rollout_failure_marks_the_host_failed_even_when_it_answers(store):
    document, dummy = report.build(["lin1"], {"lin1": linux_state()}, store, {"lin1": "sshd: restart failed"}, now=NOW)
    assert document["hosts"][0]["status"] == "failed" and document["hosts"][0]["error"] == "sshd: restart failed"


@pytest.mark.parametrize("expression, expected", [
    ("hosts[?status != 'ok'].host", ["bad", "gone", "never"]),
    ("hosts[].users[?age_days > `90`][].[host, user]", [["gone", "root"], ["lin1", "root"]]),
    ("hosts[].users[?verified_devices < `2`][].host", ["gone", "tn1"]),
    ("hosts[?ssh_otp == `false`].host", ["tn1"]),
])
def test_a_jmespath_expression_narrows_the_report(fleet, expression, expected):
    narrowed = report.narrow(fleet[0], expression)
    assert narrowed["result"] == expected and narrowed["query"] == expression
    assert "hosts" not in narrowed and narrowed["summary"] == fleet[0]["summary"]


def test_a_bad_expression_is_refused_with_its_text(fleet):
    with pytest.raises(QueryError, match=r"'hosts\[\?'"):
        report.narrow(fleet[0], "hosts[?")


def secret_forms(entry):
    uri = entry.uri()
    return [entry.key.secret, entry.key.secret.lower(), entry.key.hex, entry.key.hex.lower(), uri,
            urllib.parse.unquote(uri)]


@pytest.mark.parametrize("expression", [None, "hosts", "hosts[].users[]"])
def test_no_secret_in_json_or_html_in_any_form(fleet, tmp_path, expression):
    document, guard, entries = fleet
    shown = report.narrow(document, expression)
    write_files(str(tmp_path), {"report.json": report.to_json(shown, guard),
                                "report.html": report_html.render(shown).encode()})
    for name in ("report.json", "report.html"):
        text = (tmp_path / name).read_text()
        for entry in entries.values():
            for form in secret_forms(entry):
                assert form not in text, (name, entry.user)
    assert oct(os.stat(tmp_path / "report.json").st_mode & 0o777) == "0o600"


def test_the_guard_refuses_output_that_would_carry_a_secret(fleet):
    document, guard, entries = fleet
    for form in secret_forms(entries["tn1"]):
        leaked = dict(document, note="x%sx" % form)
        with pytest.raises(report.ReportError, match="secret of root on tn1; nothing was written"):
            report.to_json(leaked, guard)


def test_the_same_fleet_on_the_same_day_gives_the_same_bytes(store, fleet):
    guard = fleet[1]
    first = report.build(["never"], {}, store, now=NOW)[0]
    later = report.build(["never"], {}, store, now=NOW + datetime.timedelta(hours=11))[0]
    assert report.to_json(first, guard) == report.to_json(later, guard)
    assert report_html.render(first) == report_html.render(later)


def test_host_and_user_names_are_escaped_in_the_html(store):
    nasty_host, nasty_user = '<img src=x onerror="alert(1)">', '"><script>alert(2)</script>'
    state = {"platform": "linux", "two_factor": True, "ssh_otp": False,
             "users": [{"user": nasty_user, "fingerprint": "sha256:00", "ssh_otp": False}]}
    document, dummy = report.build([nasty_host], {nasty_host: state}, store, now=NOW)
    assert document["hosts"][0]["escrow_error"]  # not a name the escrow can hold; shown, not followed
    page = report_html.render(document, title="<b>fleet</b>")
    assert "<script>" not in page and "<img" not in page and "<b>fleet" not in page
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page
    assert "&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in page


def test_the_page_is_self_contained(fleet):
    page = report_html.render(fleet[0])
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert "<link" not in page and "<style>" in page and "src=" not in page


def test_the_json_report_is_plain_json_with_a_format(fleet):
    data = json.loads(report.to_json(fleet[0], fleet[1]))
    assert data["format"] == "fleet2fa.nas/report/v1" and data["date"] == "2026-12-31"


def test_the_guard_refuses_a_handed_secret_naming_its_variable_not_its_value(fleet):
    document, guard, _entries = fleet
    guard.add_value("Root-pw-Zx81qq", "the password variable lab_root_password of nas1")
    guard.add_value("root", "the vaulted variable fleet2fa_verify_user of nas1")  # too short to guard
    assert report.to_json(document, guard)  # every report says "root"
    with pytest.raises(report.ReportError) as failure:
        report.to_json(dict(document, note="x Root-pw-Zx81qq x"), guard)
    assert "would contain the password variable lab_root_password of nas1; nothing was written" in str(failure.value)
    assert "Root-pw-Zx81qq" not in str(failure.value)
