# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""report_dir and qr_dir that would send files elsewhere or let others in are refused, not fixed up
(issue 13, item 5): a symbolic link, a folder owned by another user, a group- or world-writable
folder. Each refusal names the option, and nothing is written anywhere (hashes and modes before and
after). Real plays of fleet_report, totp_qr and handout.yml on the controller."""

from __future__ import annotations

import os
import stat

import pytest

from controller_plays import PLAYBOOKS, Controller, hashes

NOBODY = 65534
HOSTS = ["nas1", "nas2"]


def play(tasks):
    return [{"name": "Folders", "hosts": "linux", "gather_facts": False, "tasks": tasks}]


REPORT = play([{"name": "Report", "run_once": True, "fleet2fa.nas.fleet_report": {
    "hosts": "{{ ansible_play_hosts_all }}", "report_dir": "{{ report_dir }}", "escrow": {"dir": "{{ fleet2fa_escrow_dir }}"}}}])
QR = play([{"name": "QR files", "fleet2fa.nas.totp_qr": {
    "user": "root", "qr_dir": "{{ qr_dir }}", "escrow": {"dir": "{{ fleet2fa_escrow_dir }}"}}}])


@pytest.fixture
def ctl(tmp_path):
    made = Controller(str(tmp_path), {"linux": {h: {} for h in HOSTS}})
    for host in HOSTS:
        made.escrow(host, "root", devices=("primary", "backup"))
    made.elsewhere = str(tmp_path / "elsewhere")
    os.mkdir(made.elsewhere, 0o755)
    with open(os.path.join(made.elsewhere, "keep.txt"), "w") as f:
        f.write("someone else's file\n")
    made.report_play = made.write("report.yml", REPORT)
    made.qr_play = made.write("qr.yml", QR)
    return made


def state(*folders):
    """Hashes of every file and the mode and owner of every folder under ``folders``."""
    seen = {}
    for folder in folders:
        seen.update(hashes(folder))
        for directory, _dirs, _names in os.walk(folder):
            st = os.lstat(directory)
            seen[directory] = (stat.S_IMODE(st.st_mode), st.st_uid)
    return seen


def refused(rc, out, *needles):
    assert rc != 0, out[-3000:]
    for needle in needles:
        assert needle in out, out[-3000:]


def test_a_symlinked_report_dir_is_refused_and_its_target_left_alone(ctl, tmp_path):
    link = str(tmp_path / "report")
    os.symlink(ctl.elsewhere, link)
    before = state(ctl.elsewhere)
    rc, out = ctl.play(ctl.report_play, "-e", "report_dir=%s" % link)
    refused(rc, out, "report_dir: %s is a symbolic link; it is not followed" % link, "nothing was written")
    assert state(ctl.elsewhere) == before


@pytest.mark.parametrize("mode, who", [(0o777, "group and others"), (0o770, "its group"), (0o703, "others")])
def test_a_report_dir_others_may_write_to_is_refused_not_chmodded(ctl, tmp_path, mode, who):
    folder = str(tmp_path / "report")
    os.mkdir(folder)
    os.chmod(folder, mode)
    before = state(folder)
    rc, out = ctl.play(ctl.report_play, "-e", "report_dir=%s" % folder)
    refused(rc, out, "report_dir: %s may be written by %s (mode %04o); make it 0700" % (folder, who, mode))
    assert state(folder) == before and os.listdir(folder) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a folder to another user")
def test_a_report_dir_owned_by_another_user_is_refused(ctl, tmp_path):
    folder = str(tmp_path / "report")
    os.mkdir(folder, 0o700)
    os.chown(folder, NOBODY, NOBODY)
    rc, out = ctl.play(ctl.report_play, "-e", "report_dir=%s" % folder)
    refused(rc, out, "report_dir: %s is owned by uid %d, not by the user running Ansible" % (folder, NOBODY))
    assert os.listdir(folder) == []


def test_a_symlink_in_place_of_a_report_file_is_replaced_not_followed(ctl, tmp_path):
    folder = str(tmp_path / "report")
    os.mkdir(folder, 0o700)
    target = os.path.join(ctl.elsewhere, "keep.txt")
    os.symlink(target, os.path.join(folder, "report.html"))
    before = state(ctl.elsewhere)
    rc, out = ctl.play(ctl.report_play, "-e", "report_dir=%s" % folder)
    assert rc == 0, out[-3000:]
    assert not os.path.islink(os.path.join(folder, "report.html"))
    assert state(ctl.elsewhere) == before


def test_a_symlinked_host_folder_in_qr_dir_is_refused_and_no_qr_file_leaves_qr_dir(ctl, tmp_path):
    qr_dir = str(tmp_path / "qr")
    os.mkdir(qr_dir, 0o700)
    os.symlink(ctl.elsewhere, os.path.join(qr_dir, "nas1"))
    before = state(ctl.elsewhere)
    rc, out = ctl.play(ctl.qr_play, "-e", "qr_dir=%s" % qr_dir, "--limit", "nas1")
    refused(rc, out, "qr_dir: %s is a symbolic link" % os.path.join(qr_dir, "nas1"))
    assert state(ctl.elsewhere) == before
    assert sorted(os.listdir(qr_dir)) == ["nas1"]


def test_a_world_writable_qr_dir_is_refused_by_totp_qr(ctl, tmp_path):
    qr_dir = str(tmp_path / "qr")
    os.mkdir(qr_dir)
    os.chmod(qr_dir, 0o777)
    rc, out = ctl.play(ctl.qr_play, "-e", "qr_dir=%s" % qr_dir)
    refused(rc, out, "qr_dir: %s may be written by group and others (mode 0777)" % qr_dir)
    assert os.listdir(qr_dir) == [] and stat.S_IMODE(os.stat(qr_dir).st_mode) == 0o777


@pytest.mark.parametrize("where", ["qr", "qr/packs", "qr/packs/root"])
def test_handout_refuses_a_symlink_anywhere_on_the_way_to_the_pack(ctl, tmp_path, where):
    qr_dir = str(tmp_path / "qr")
    parts = where.split("/")
    for depth in range(1, len(parts)):
        os.mkdir(str(tmp_path.joinpath(*parts[:depth])), 0o700)
    link = str(tmp_path.joinpath(*parts))
    os.symlink(ctl.elsewhere, link)
    before = state(ctl.elsewhere)
    rc, out = ctl.play(os.path.join(PLAYBOOKS, "handout.yml"), "-e", "fleet2fa_hosts=linux",
                       "-e", "fleet2fa_qr_dir=%s" % qr_dir, "-e", "fleet2fa_enroll_from_escrow=true")
    refused(rc, out, "qr_dir: %s is a symbolic link" % link, "nothing was written")
    assert state(ctl.elsewhere) == before  # the link's target: nothing new in it
    if not os.path.islink(qr_dir):
        assert hashes(qr_dir) == {}


def test_handout_refuses_a_group_writable_pack_folder(ctl, tmp_path):
    folder = tmp_path / "qr" / "packs" / "root"
    folder.mkdir(parents=True)
    for path in (tmp_path / "qr", tmp_path / "qr" / "packs"):
        os.chmod(path, 0o700)
    os.chmod(folder, 0o770)
    rc, out = ctl.play(os.path.join(PLAYBOOKS, "handout.yml"), "-e", "fleet2fa_hosts=linux",
                       "-e", "fleet2fa_qr_dir=%s" % (tmp_path / "qr"), "-e", "fleet2fa_enroll_from_escrow=true")
    refused(rc, out, "qr_dir: %s may be written by its group (mode 0770)" % folder)
    assert os.listdir(folder) == [] and stat.S_IMODE(os.stat(folder).st_mode) == 0o770
