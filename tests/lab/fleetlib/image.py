"""The read-only Debian bookworm image every lab host boots from, built once and cached."""

import hashlib
import json
import os
import shutil
import subprocess
import time

from .common import CACHE, FleetError, flock, log, run

# Changing anything here changes the hash, so a new image is built next to the old one.
RECIPE = {
    "suite": "bookworm",
    "variant": "minbase",
    "mirror": os.environ.get("FLEET2FA_MIRROR") or "http://deb.debian.org/debian",
    "packages": [
        # a real host: systemd as init, sshd with PAM OATH, what Ansible modules need
        "systemd-sysv", "dbus", "libpam-systemd", "openssh-server", "libpam-oath", "oathtool",
        "python3", "python3-apt", "iproute2", "procps",
        # the TrueNAS simulator (tests/lab/truenas)
        "python3-websockets", "python3-pyotp", "openssl", "ca-certificates", "sqlite3",
    ],
    # tweaks applied after debootstrap; bump when the code in _finish changes
    "tweaks": 1,
}


def image_path():
    digest = hashlib.sha256(json.dumps(RECIPE, sort_keys=True).encode()).hexdigest()[:12]
    return os.path.join(CACHE, "lab-image-" + digest)


def _finish(root):
    """Make the bootstrapped tree a good container image."""
    # Host keys come per host (ssh-keygen -A into each upper dir); none may be shared.
    ssh_dir = os.path.join(root, "etc/ssh")
    for name in os.listdir(ssh_dir):
        if name.startswith("ssh_host_"):
            os.unlink(os.path.join(ssh_dir, name))
    # Each host gets its own machine-id in its upper dir.
    with open(os.path.join(root, "etc/machine-id"), "w", encoding="ascii"):
        pass
    # Nobody reads the container consoles: a getty there only costs memory.
    for unit in ("console-getty.service", "getty@.service", "systemd-networkd-wait-online.service"):
        link = os.path.join(root, "etc/systemd/system", unit)
        if not os.path.lexists(link):
            os.symlink("/dev/null", link)
    os.makedirs(os.path.join(root, "root/.ssh"), mode=0o700, exist_ok=True)
    run(["chroot", root, "apt-get", "clean"])
    shutil.rmtree(os.path.join(root, "var/lib/apt/lists"), ignore_errors=True)
    os.makedirs(os.path.join(root, "var/lib/apt/lists/partial"), exist_ok=True)


def ensure_image():
    """Return the image path, building it first if needed (one builder at a time, others wait)."""
    path = image_path()
    if os.path.isfile(os.path.join(path, ".complete")):
        return path
    os.makedirs(CACHE, exist_ok=True)
    with flock(path + ".lock"):
        if os.path.isfile(os.path.join(path, ".complete")):
            return path
        tmp = "%s.tmp-%d" % (path, os.getpid())
        for stale in os.listdir(CACHE):
            if stale.startswith(os.path.basename(path) + ".tmp-"):
                shutil.rmtree(os.path.join(CACHE, stale), ignore_errors=True)
        log("building the lab image %s (debootstrap, about a minute)" % path)
        start = time.monotonic()
        cmd = ["debootstrap", "--variant=" + RECIPE["variant"], "--include=" + ",".join(RECIPE["packages"]),
               RECIPE["suite"], tmp, RECIPE["mirror"]]
        res = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
        if res.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise FleetError("debootstrap failed:\n" + res.stdout[-3000:])
        try:
            _finish(tmp)
        except Exception:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        with open(os.path.join(tmp, ".complete"), "w", encoding="ascii") as fh:
            fh.write(json.dumps(RECIPE, sort_keys=True) + "\n")
        if os.path.exists(path):
            shutil.rmtree(path)
        os.rename(tmp, path)
        log("image built in %.0f s" % (time.monotonic() - start))
    return path
