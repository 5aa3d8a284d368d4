"""Paths, names and small helpers shared by the lab commands."""

import contextlib
import fcntl
import hashlib
import os
import re
import subprocess
import sys

CACHE = os.environ.get("FLEET2FA_CACHE") or "/var/cache/fleet2fa"
# /run is where runtime state belongs; the overlay upper dirs live here too (upper works on ext4
# and on tmpfs).
STATE_ROOT = "/run/fleet2fa/labs"
# ssh ControlPath sockets: a Unix socket path must fit in 108 bytes (sun_path), and ssh binds
# "<ControlPath>.<16 random characters>" first. Under STATE_ROOT a 32-character lab name and %C
# (40 hex) come to 112, so the masters live in a short folder named by a hash of the lab: 84 bytes.
CONTROL_ROOT = "/run/fleet2fa/cm"
CGROUP_ROOTS = ("/sys/fs/cgroup/systemd/fleet2fa", "/sys/fs/cgroup/unified/fleet2fa")
PROPAGATE = "/run/systemd/nspawn/propagate"
NETNS_DIR = "/run/netns"
SUBNET_PREFIX = "10.213"


def _simulator_versions():
    """The versions the TrueNAS simulator knows: its profiles (tests/lab/truenas) are the one list."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "truenas"))
    try:
        from truenas_sim.profiles import ALIASES  # pylint: disable=import-outside-toplevel
    finally:
        sys.path.pop(0)
    return tuple(ALIASES)


TRUENAS_VERSIONS = _simulator_versions()
LAB_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")


class FleetError(Exception):
    """A failure the user can act on; printed without a traceback."""


def log(msg):
    print("fleet: " + msg, file=sys.stderr, flush=True)


def run(cmd, check=True, quiet=False, **kw):
    """Run a command; on failure raise FleetError with its stderr."""
    res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False, **kw)
    if check and res.returncode != 0:
        raise FleetError("%s failed (rc %d): %s" % (" ".join(cmd), res.returncode, res.stderr.strip()))
    if not quiet and res.returncode != 0 and res.stderr.strip():
        log(res.stderr.strip())
    return res


def check_lab_name(name):
    if not LAB_NAME_RE.match(name or ""):
        raise FleetError("lab name %r: use 1-32 of a-z, 0-9 and '-', starting with a letter or digit" % name)
    return name


def default_lab():
    return os.environ.get("FLEET2FA_LAB") or "lab"


def state_dir(lab):
    return os.path.join(STATE_ROOT, lab)


def control_dir(lab):
    """The lab's folder for ssh ControlMaster sockets (see CONTROL_ROOT)."""
    return os.path.join(CONTROL_ROOT, hashlib.sha256(lab.encode()).hexdigest()[:10])


def machine_name(lab, host):
    # A dot cannot appear in a lab name, so "<lab>." never matches another lab's machines.
    return "%s.%s" % (lab, host)


def netns_name(lab, host):
    return "f2f." + machine_name(lab, host)


def link_alias(lab):
    return "fleet2fa:" + lab


def preferred_octet(lab):
    """The third octet a lab would like: stable for a name, 1..254 (10.213.0.0/24 is the research lab's)."""
    return int(hashlib.sha256(lab.encode()).hexdigest(), 16) % 254 + 1


@contextlib.contextmanager
def flock(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a+", encoding="ascii") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def write_file(path, text, mode=0o644, uid=None, gid=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, mode)
    if uid is not None:
        os.chown(tmp, uid, gid)
    os.replace(tmp, path)
