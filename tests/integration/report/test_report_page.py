# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.html as a page people open: a 40-host fleet with long host names, written by a real
fleet.nas.fleet_report task (local-connection hosts whose registered state is given in the inventory),
read as text and loaded in headless Chromium; and the report's guard for values Ansible keeps secret."""

from __future__ import annotations

import html.parser
import os
import sys

import pytest

from controller_plays import Controller, hashes

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "browser"))
from headless import Browser  # noqa: E402  pylint: disable=wrong-import-position

ROOT_PASSWORD = "Lab-root-pw-7Yq2"
LINUX = ["lin-storage-eu-west-1-rack-17-node-%03d.backup.example.internal" % i for i in range(1, 21)]
TRUENAS = ["tn2410-archive-cluster-%02d.nas.example.internal" % i for i in range(1, 19)]
ODD = {"lin-unreachable-01": {"unreachable": True, "msg": "Failed to connect to the host via ssh: Connection refused"},
       "lin-failed-01": {"failed": True, "msg": "otp_state_info: /etc/users.oath is not readable"}}


def linux_state(entry, ssh_otp=True):
    return {"changed": False, "platform": "linux", "two_factor": True, "ssh_otp": ssh_otp,
            "users": [{"user": "root", "fingerprint": entry.fingerprint, "ssh_otp": ssh_otp,
                       "last_used": "2026-11-30T10:00:00Z"}]}


def truenas_state(version):
    return {"changed": False, "platform": "truenas", "two_factor": True, "ssh_otp": True, "truenas_version": version,
            "users": [{"user": "root", "twofactor_configured": True, "ssh_otp": True, "ssh_password_login": True}]}


REPORT_PLAY = [{
    "name": "Report", "hosts": "linux:truenas", "gather_facts": False,
    "tasks": [{"name": "Write the report", "run_once": True, "register": "written",
               "fleet2fa.nas.fleet_report": {
                   "hosts": "{{ ansible_play_hosts_all }}", "report_dir": "{{ report_dir }}",
                   "escrow": {"dir": "{{ fleet2fa_escrow_dir }}"},
                   "outcome_var": "{{ outcome_var | default('fleet2fa_outcome') }}",
                   "title": "{{ report_title | default('fleet2fa report') }}",
                   "template": "{{ report_template | default(omit) }}"}}],
}]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("report-page"))
    linux, truenas = {}, {}
    made = Controller(root, {"linux": linux, "truenas": truenas})
    for index, host in enumerate(LINUX):
        entry = made.escrow(host, "root", devices=("primary", "backup") if index % 5 else ("primary",))
        linux[host] = {"fleet2fa_report_state": linux_state(entry, ssh_otp=index != 3), "lab_root_password": ROOT_PASSWORD}
    for host in TRUENAS:
        made.escrow(host, "root", account="root-%s@TrueNAS" % host, devices=("primary", "backup"))
        truenas[host] = {"fleet2fa_report_state": truenas_state("TrueNAS-SCALE-24.10.2")}
    for host, state in ODD.items():
        made.escrow(host, "root", devices=("primary", "backup"))
        linux[host] = {"fleet2fa_report_state": state}
    made = Controller(root, {"linux": linux, "truenas": truenas})  # the inventory again, with the states
    made.report_dir = os.path.join(root, "report")
    made.playbook = made.write("report.yml", REPORT_PLAY)
    made.report = lambda *extra: made.play(made.playbook, "-e", "report_dir=%s" % made.report_dir, *extra)
    rc, out = made.report()
    assert rc == 0, out[-5000:]
    with open(os.path.join(made.report_dir, "report.html"), encoding="utf-8") as f:
        made.page = f.read()
    return made


class _Text(html.parser.HTMLParser):
    """The text a reader sees, outside <style>, and the overview's rows."""

    def __init__(self):
        super().__init__()
        self.text, self.rows, self._skip = [], [], False

    def handle_starttag(self, tag, attrs):
        self._skip = tag == "style"
        if tag == "tr" and dict(attrs).get("id", "").startswith("row-"):
            self.rows.append(dict(attrs)["id"][4:])

    def handle_endtag(self, tag):
        self._skip = False

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def read(page):
    parser = _Text()
    parser.feed(page)
    return " ".join(parser.text), parser.rows


def test_the_page_has_one_overview_row_per_host_in_name_order(fleet):
    _text, rows = read(fleet.page)
    assert rows == sorted(LINUX + TRUENAS + list(ODD))


def test_the_page_says_yes_and_no_never_on_off_or_raw_keys(fleet):
    text, _rows = read(fleet.page)
    words = text.split()
    assert "yes" in words and "no" in words and "not checked 0" in text  # the summary, worded
    for raw in ("on", "off", "True", "False", "None", "null", "not_checked", "ssh_otp", "two_factor",
                "last_proven_login", "fingerprint_match"):
        assert raw not in words, raw
    assert "unreachable" in words and "failed" in words and "OK" in words


def test_the_overview_names_each_hosts_problems(fleet):
    text, _rows = read(fleet.page)
    assert "SSH asks for no code" in text  # LINUX[3]
    assert "root: 1 verified device" in text  # LINUX[0], LINUX[5], ...
    assert "root: no login proven" in text
    assert "otp_state_info: /etc/users.oath is not readable" in text


def test_timestamps_are_time_elements_that_do_not_wrap(fleet):
    assert '<time datetime="2026-11-30T10:00:00Z">2026-11-30 10:00 UTC</time>' in fleet.page
    assert "time{white-space:nowrap" in fleet.page


def test_the_page_holds_no_secret_and_no_password(fleet):
    for host in LINUX + TRUENAS:
        entry = fleet.store.get(host, "root")
        for form in (entry.key.secret, entry.key.secret.lower(), entry.key.hex, entry.uri()):
            assert form not in fleet.page
    assert ROOT_PASSWORD not in fleet.page


def test_outcome_var_pointing_at_the_root_password_fails_and_writes_nothing(fleet):
    before = hashes(fleet.report_dir)
    rc, out = fleet.report("-e", "outcome_var=lab_root_password")
    assert rc != 0
    assert "outcome_var: the variable of %s is not an outcome record" % LINUX[0] in out, out[-3000:]
    assert ROOT_PASSWORD not in out
    assert hashes(fleet.report_dir) == before


def test_a_vaulted_outcome_is_not_written_into_the_report(fleet):
    before = hashes(fleet.report_dir)
    reason = "vaulted reason Pq7-wX2"
    vaulted = fleet.encrypt("outcome.yml", {"fleet2fa_outcome": {"status": "failed", "step": "activate",
                                                                 "reason": reason}})
    rc, out = fleet.report("-e", "@" + vaulted)
    assert rc != 0
    assert "would contain the vaulted variable fleet2fa_outcome of" in out, out[-3000:]
    assert reason not in out
    assert hashes(fleet.report_dir) == before


def test_a_title_from_a_vaulted_variable_is_not_written(fleet):
    before = hashes(fleet.report_dir)
    vaulted = fleet.encrypt("title.yml", {"vault_title": "ACME vaulted-title 2026"})
    rc, out = fleet.report("-e", "@" + vaulted, "-e", "report_title={{ vault_title }}")
    assert rc != 0
    assert "would contain the vaulted variable vault_title of" in out, out[-3000:]
    assert "ACME vaulted-title" not in out
    assert hashes(fleet.report_dir) == before


def test_a_template_of_ones_own_renders_the_page(fleet, tmp_path):
    template = tmp_path / "mine.html.j2"
    template.write_text("<!DOCTYPE html><title>{{ title }}</title><p>{{ overview | length }} hosts, "
                        "last {{ overview[-1].host }} {{ overview[-1].two_factor | word }}</p>\n")
    other = str(tmp_path / "mine")
    rc, out = fleet.play(fleet.playbook, "-e", "report_dir=%s" % other, "-e", "report_template=%s" % template,
                         "-e", "report_title=<Mine>")
    assert rc == 0, out[-3000:]
    with open(os.path.join(other, "report.html"), encoding="utf-8") as f:
        assert f.read() == ("<!DOCTYPE html><title>&lt;Mine&gt;</title><p>40 hosts, last %s yes</p>\n"
                            % TRUENAS[-1])


def test_a_missing_template_fails_naming_the_option(fleet, tmp_path):
    rc, out = fleet.play(fleet.playbook, "-e", "report_dir=%s" % tmp_path, "-e", "report_template=/nonexistent.j2")
    assert rc != 0 and "template: /nonexistent.j2 is not a file" in out


@pytest.fixture(scope="module")
def browser():
    with Browser() as b:
        yield b


def test_the_40_host_report_fits_1280_px_in_chromium(fleet, browser):
    page = browser.load(os.path.join(fleet.report_dir, "report.html"), width=1280, height=900)
    assert page.console_errors == []
    assert not page.scrolls_horizontally, (page.scroll_width, page.viewport_width)
    width, height = page.screenshot_size
    # The full-page screenshot is as wide as the window (nothing sticks out) and as tall as 40 hosts.
    assert width == 1280 and height > 40 * 40, page.screenshot_size
