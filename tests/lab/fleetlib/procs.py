"""Processes and cgroups of a lab: finding, stopping and removing them."""

import os
import signal
import time

from .common import CGROUP_ROOTS, state_dir


def cgroup_dirs(lab, host=None):
    return [os.path.join(root, lab, host) if host else os.path.join(root, lab) for root in CGROUP_ROOTS]


def _comm(pid):
    try:
        with open("/proc/%d/comm" % pid, encoding="utf-8", errors="replace") as fh:
            return fh.read().strip()
    except OSError:
        return None


def _alive(pid):
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def cgroup_pids(lab):
    """Every live process in the lab's cgroups (the launchers, nspawn, the containers' trees)."""
    pids = set()
    for top in cgroup_dirs(lab):
        for dirpath, _dirs, _files in os.walk(top):
            try:
                with open(os.path.join(dirpath, "cgroup.procs"), encoding="ascii") as fh:
                    pids.update(int(line) for line in fh if line.strip())
            except OSError:
                continue
    return {p for p in pids if _alive(p)}


def stray_pids(lab):
    """Our processes that name the lab's state dir: launchers not yet in a cgroup, ssh mux masters."""
    needle = (state_dir(lab) + "/").encode()
    # what else each kind of process must show, so that a user's `sh -c "... labs/x/..."` is spared
    marks = {"ssh": needle + b"cp/", "systemd-nspawn": b"--register=no", "unshare": b"systemd-nspawn",
             "sh": b"systemd-nspawn"}
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in (os.getpid(), os.getppid()):
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as fh:
                cmdline = fh.read()
        except OSError:
            continue
        mark = marks.get(_comm(int(entry)))
        if mark and needle in cmdline and mark in cmdline:
            found.add(int(entry))
    return {p for p in found if _alive(p)}


def _signal(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def stop(lab, grace=10.0):
    """Clean poweroff: SIGTERM each nspawn (it shuts its container down), then SIGKILL what is left."""
    pids = cgroup_pids(lab) | stray_pids(lab)
    if not pids:
        return
    nspawns = {p for p in pids if _comm(p) == "systemd-nspawn"}
    _signal(nspawns, signal.SIGTERM)
    # Others (an orphaned container after its nspawn was killed, a stale ssh master) get no grace.
    _signal(stray_pids(lab) - nspawns, signal.SIGTERM)
    deadline = time.monotonic() + (grace if nspawns else 0)
    while time.monotonic() < deadline and any(_alive(p) for p in nspawns):
        time.sleep(0.1)
    for _round in range(100):
        left = cgroup_pids(lab) | stray_pids(lab)
        if not left:
            return
        _signal(left, signal.SIGKILL)
        time.sleep(0.05)


def remove_cgroups(lab):
    for top in cgroup_dirs(lab):
        if not os.path.isdir(top):
            continue
        for dirpath, _dirs, _files in os.walk(top, topdown=False):
            try:
                os.rmdir(dirpath)
            except OSError:
                pass
        for root in CGROUP_ROOTS:  # the shared parent goes when the last lab does
            try:
                os.rmdir(root)
            except OSError:
                pass


def all_lab_names_from_cgroups():
    names = set()
    for root in CGROUP_ROOTS:
        if os.path.isdir(root):
            names.update(n for n in os.listdir(root) if os.path.isdir(os.path.join(root, n)))
    return names


def init_pid(lab, host):
    """PID (as the machine sees it) of a running host's systemd, PID 1 inside the host."""
    for top in cgroup_dirs(lab, host):
        for dirpath, _dirs, _files in os.walk(top):
            try:
                with open(os.path.join(dirpath, "cgroup.procs"), encoding="ascii") as fh:
                    pids = [int(line) for line in fh if line.strip()]
            except OSError:
                continue
            for pid in pids:
                try:
                    with open("/proc/%d/status" % pid, encoding="utf-8") as fh:
                        nspid = next((line.split()[1:] for line in fh if line.startswith("NSpid:")), [])
                except OSError:
                    continue
                if len(nspid) > 1 and nspid[-1] == "1" and _alive(pid):
                    return pid
    return None
