"""Bringing a lab up and down."""

import concurrent.futures
import json
import os
import secrets
import shutil
import socket
import subprocess
import time
import uuid

from . import image, inventory, net, procs
from .common import (LAB_NAME_RE, PROPAGATE, STATE_ROOT, TRUENAS_VERSIONS, FleetError, control_dir, flock, log,
                     machine_name, netns_name, preferred_octet, run, state_dir, write_file)

LAB_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROVISION = os.path.join(LAB_DIR, "truenas", "provision")
GLOBAL_LOCK = os.path.join(STATE_ROOT, ".lock")


def lab_lock(lab):
    return flock(os.path.join(STATE_ROOT, ".%s.lock" % lab))


def plan_hosts(linux, truenas, bastion=False):
    """[(name, group, truenas_version)] in address order: Linux hosts first, the bastion last."""
    hosts = [("lin%02d" % i, "linux", None) for i in range(1, linux + 1)]
    seen = {}
    for version in truenas:
        if version not in TRUENAS_VERSIONS:
            raise FleetError("unknown TrueNAS version %r; valid: %s" % (version, ", ".join(TRUENAS_VERSIONS)))
        seen[version] = seen.get(version, 0) + 1
        hosts.append(("tn%s-%d" % (version.replace(".", ""), seen[version]), "truenas", version))
    if not hosts:
        raise FleetError("a lab needs at least one host (--linux N and/or --truenas V,...)")
    if bastion:
        hosts.append(("bastion", "bastion", None))
    if len(hosts) > 240:
        raise FleetError("a lab holds at most 240 hosts")
    return hosts


def load(lab):
    try:
        with open(os.path.join(state_dir(lab), "lab.json"), encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def _save(state):
    write_file(os.path.join(state["dir"], "lab.json"), json.dumps(state, indent=2) + "\n", 0o600)


def _allocate_octet(lab):
    """Claim a free 10.213.X.0/24 for the lab, the one its name prefers if it can."""
    taken = net.used_octets()
    if os.path.isdir(STATE_ROOT):
        for other in os.listdir(STATE_ROOT):
            state = load(other) if other != lab and not other.startswith(".") else None
            if state:
                taken.add(state["octet"])
    octet = preferred_octet(lab)
    for _attempt in range(254):
        if octet not in taken:
            return octet
        octet = octet % 254 + 1
    raise FleetError("no free /24 left in 10.213.0.0/16")


def _hash_password(password):
    res = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if res.returncode != 0:
        raise FleetError("openssl passwd failed: " + res.stderr.strip())
    return res.stdout.strip()


def _shadow_with_root(img, pw_hash):
    lines = []
    with open(os.path.join(img, "etc/shadow"), encoding="utf-8") as fh:
        for line in fh:
            fields = line.rstrip("\n").split(":")
            if fields[0] == "root":
                fields[1] = pw_hash
            lines.append(":".join(fields))
    return "\n".join(lines) + "\n"


def _group_id(img, group):
    with open(os.path.join(img, "etc/group"), encoding="utf-8") as fh:
        for line in fh:
            fields = line.split(":")
            if fields[0] == group:
                return int(fields[2])
    return 0


def _lay_upper(img, host, hdir, pubkey, shadow):
    """The host's own files, over the shared image: keys, password, identity."""
    upper = os.path.join(hdir, "upper")
    for sub, mode in (("", 0o755), ("etc", 0o755), ("etc/ssh", 0o755), ("root", 0o700), ("root/.ssh", 0o700)):
        os.makedirs(os.path.join(upper, sub), exist_ok=True)
        os.chmod(os.path.join(upper, sub), mode)
    for sub in ("work", "merged"):
        os.makedirs(os.path.join(hdir, sub), exist_ok=True)
    write_file(os.path.join(upper, "root/.ssh/authorized_keys"), pubkey, 0o600)
    write_file(os.path.join(upper, "etc/hostname"), host + "\n")
    write_file(os.path.join(upper, "etc/hosts"),
               "127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n" % host)
    write_file(os.path.join(upper, "etc/machine-id"), uuid.uuid4().hex + "\n", 0o444)
    write_file(os.path.join(upper, "etc/shadow"), shadow, 0o640, 0, _group_id(img, "shadow"))
    # Timers that would wake apt or scrub disks in the middle of a test run
    for unit in ("apt-daily.timer", "apt-daily-upgrade.timer", "e2scrub_all.timer", "dpkg-db-backup.timer"):
        os.makedirs(os.path.join(upper, "etc/systemd/system"), exist_ok=True)
        os.symlink("/dev/null", os.path.join(upper, "etc/systemd/system", unit))
    # Ed25519 and ECDSA only: an RSA key (what ssh-keygen -A adds) took 3-7 s of CPU a host on a
    # busy 2-core box. sshd skips a missing default host key silently (debug level).
    for kind in ("ed25519", "ecdsa"):
        run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", "root@" + host,
             "-f", os.path.join(upper, "etc/ssh/ssh_host_%s_key" % kind)])
    return upper


# Runs as `sh -c LAUNCH sh <cgroup dirs...> -- <img> <upper> <work> <merged> <nspawn args...>` inside a
# private mount namespace: the overlay is seen by the container alone and goes away with it.
LAUNCH = """set -e
for ns in /run/netns/*; do  # private copies of other hosts' netns mounts would keep those alive
  [ "$ns" = "$FLEET2FA_NETNS" ] || umount "$ns" 2>/dev/null || true
done
while [ "$1" != -- ]; do mkdir -p "$1"; echo $$ > "$1/cgroup.procs"; shift; done; shift
mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4"
shift 3
exec systemd-nspawn -q -D "$@"
"""


def _launch(state, host):
    hdir = host["dir"]
    nspawn = [os.path.join(hdir, "merged"), "-b", "--register=no", "--keep-unit", "--link-journal=no",
              "--console=read-only", "-M", host["machine"], "--hostname=" + host["name"],
              "--network-namespace-path=" + host["netns_path"]]
    cmd = (["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", LAUNCH, "sh"]
           + procs.cgroup_dirs(state["name"], host["name"]) + ["--", state["image"], os.path.join(hdir, "upper"),
                                                               os.path.join(hdir, "work")] + nspawn)
    with open(os.path.join(hdir, "console.log"), "wb") as log_fh:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log_fh, stderr=subprocess.STDOUT,
                                start_new_session=True, close_fds=True,
                                env=dict(os.environ, FLEET2FA_NETNS=host["netns_path"]))
    return proc


def _wait_ssh(host, proc, timeout):
    """Until the host's sshd sends its banner; fail early if the container died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise FleetError("%s: the container exited (rc %s); console:\n%s" % (host["name"], proc.returncode,
                                                                                 _tail(host)))
        try:
            with socket.create_connection((host["address"], 22), timeout=1) as sock:
                sock.settimeout(2)
                if sock.recv(64).startswith(b"SSH-"):
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise FleetError("%s: sshd did not answer within %d s; console:\n%s" % (host["name"], timeout, _tail(host)))


def _tail(host):
    try:
        with open(os.path.join(host["dir"], "console.log"), encoding="utf-8", errors="replace") as fh:
            return "".join(fh.readlines()[-15:])
    except OSError:
        return "(no console log)"


def _raise_inotify_limit():
    # Every container's systemd takes several inotify instances; the default 128 stops at ~20 hosts.
    path = "/proc/sys/fs/inotify/max_user_instances"
    with open(path, encoding="ascii") as fh:
        if int(fh.read()) >= 8192:
            return
    with open(path, "w", encoding="ascii") as fh:
        fh.write("8192\n")


def up(lab, linux, truenas, bastion=False):
    hosts = plan_hosts(linux, truenas, bastion)
    if truenas and not os.access(PROVISION, os.X_OK):
        raise FleetError("the TrueNAS simulator is not built yet (no executable %s)" % PROVISION)
    start = time.monotonic()
    with lab_lock(lab):
        _down_locked(lab)
        img = image.ensure_image()
        _raise_inotify_limit()
        sdir = state_dir(lab)
        with flock(GLOBAL_LOCK):
            octet = _allocate_octet(lab)
            os.makedirs(sdir, mode=0o700)
            for cg in procs.cgroup_dirs(lab):
                os.makedirs(cg, exist_ok=True)
            state = {"name": lab, "dir": sdir, "octet": octet, "image": img, "bridge": net.bridge_name(octet),
                     "controller_address": net.controller_address(octet), "hosts": []}
            _save(state)
            net.create_bridge(lab, octet)
        try:
            return _up_hosts(state, hosts, start)
        except BaseException:
            log("up failed; tearing the lab down")
            _down_locked(lab)
            raise


def _up_hosts(state, hosts, start):
    lab, sdir, img = state["name"], state["dir"], state["image"]
    key = os.path.join(sdir, "id_ed25519")
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "fleet2fa-lab-" + lab, "-f", key])
    with open(key + ".pub", encoding="ascii") as fh:
        pubkey = fh.read()
    password = secrets.token_urlsafe(12)
    state.update(key=key, root_password=password, inventory=os.path.join(sdir, "inventory.yml"),
                 control_dir=control_dir(lab))
    shadow = _shadow_with_root(img, _hash_password(password))
    shutil.rmtree(state["control_dir"], ignore_errors=True)  # a lab of this name that was never taken down
    os.makedirs(state["control_dir"], mode=0o700)
    for index, (name, group, version) in enumerate(hosts, start=1):
        state["hosts"].append({
            "name": name, "group": group, "truenas_version": version, "index": index,
            "address": net.host_address(state["octet"], index), "machine": machine_name(lab, name),
            "netns": netns_name(lab, name), "dir": os.path.join(sdir, "hosts", name)})
    _save(state)
    phases = [("prepare", time.monotonic() - start)]
    workers = max(2, 2 * (os.cpu_count() or 1))
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        uppers = list(pool.map(lambda h: _lay_upper(img, h["name"], h["dir"], pubkey, shadow), state["hosts"]))
    phases.append(("host files and keys", time.monotonic() - start))
    for host, upper in zip(state["hosts"], uppers):
        with flock(GLOBAL_LOCK):
            host["netns_path"] = net.create_host_net(lab, state["octet"], host["index"], host["name"])
        if host["truenas_version"]:
            run([PROVISION, upper, host["truenas_version"]])
    phases.append(("network", time.monotonic() - start))
    inventory.write(state)
    started = {h["name"]: _launch(state, h) for h in state["hosts"]}
    for host in state["hosts"]:
        host["pid"] = started[host["name"]].pid
    _save(state)
    timeout = 60 + 3 * len(hosts)
    with concurrent.futures.ThreadPoolExecutor(len(hosts)) as pool:
        for fut in [pool.submit(_wait_ssh, h, started[h["name"]], timeout) for h in state["hosts"]]:
            fut.result()
    phases.append(("boot to sshd", time.monotonic() - start))
    jump = next((h for h in state["hosts"] if h["group"] == "bastion"), None)
    if jump:
        # From now on the controller reaches the others only through the bastion (ProxyJump).
        state["bastion"] = jump["address"]
        net.hide_hosts(state["octet"], [h["address"] for h in state["hosts"] if h is not jump])
        inventory.write(state)
        _save(state)
    steps = ", ".join("%s %.1f" % (what, b - a) for (what, b), (_w, a) in zip(phases, [("", 0.0)] + phases))
    subnet = state["controller_address"][:-2] + ".0/24"
    log("lab %s: %d hosts on %s up in %.1f s (%s)" % (lab, len(hosts), subnet, phases[-1][1], steps))
    return state


def down(lab):
    with lab_lock(lab):
        _down_locked(lab)


def _down_locked(lab):
    sdir = state_dir(lab)
    cp_dir = control_dir(lab)
    if os.path.isdir(cp_dir):
        for sock in os.listdir(cp_dir):  # ssh ControlPersist masters would outlive the hosts
            run(["ssh", "-o", "ControlPath=" + os.path.join(cp_dir, sock), "-O", "exit", "lab"], check=False,
                quiet=True)
    procs.stop(lab)
    net.remove_lab_net(lab)
    with open("/proc/mounts", encoding="utf-8") as fh:
        mounts = [line.split()[1] for line in fh if line.split()[1].startswith(sdir + "/")]
    for mnt in reversed(mounts):
        run(["umount", "-l", mnt], check=False, quiet=True)
    if os.path.isdir(PROPAGATE):
        for name in os.listdir(PROPAGATE):
            if name.startswith(lab + ".") and "." not in name[len(lab) + 1:]:
                shutil.rmtree(os.path.join(PROPAGATE, name), ignore_errors=True)
    with flock(GLOBAL_LOCK):
        procs.remove_cgroups(lab)
        shutil.rmtree(sdir, ignore_errors=True)
        shutil.rmtree(cp_dir, ignore_errors=True)
        net.release_netns_mount()


def all_labs():
    names = set(procs.all_lab_names_from_cgroups()) | net.all_lab_names_from_netns() | net.all_lab_names_from_links()
    if os.path.isdir(STATE_ROOT):
        names.update(os.listdir(STATE_ROOT))
    return sorted(n for n in names if LAB_NAME_RE.match(n))
