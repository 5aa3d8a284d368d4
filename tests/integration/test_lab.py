"""The lab fleet itself: what every other integration test and molecule scenario stands on."""

import concurrent.futures
import errno
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from fleet_lab import TOP, Lab, fleet, lab_name_for

sys.path.insert(0, os.path.join(TOP, "tests", "lab"))
from fleetlib import faults  # noqa: E402  pylint: disable=wrong-import-position

CHECK_ROOT_PASSWORD = """
import crypt, sys
given = sys.stdin.read()
stored = [line.split(":")[1] for line in open("/etc/shadow") if line.startswith("root:")][0]
print(stored[:3], "match" if crypt.crypt(given, stored) == stored else "mismatch")
"""


@pytest.fixture(scope="module")
def lab(make_lab):
    return make_lab(linux=3)


def _pongs(results):
    return sorted(h for h, r in results.items() if r.get("ping") == "pong")


def _sh(lab, command):
    """{host: stdout} of a command on every host; every host must have run it."""
    results = lab.ansible("all", "ansible.builtin.command", command)
    assert all(r.get("rc") == 0 for r in results.values()), results
    return {host: r["stdout"] for host, r in results.items()}


def test_every_host_answers_ping_by_key_only(lab):
    key_only = ["--ssh-extra-args=-o PreferredAuthentications=publickey -o PasswordAuthentication=no"]
    assert _pongs(lab.ansible("all", "ansible.builtin.ping", extra=key_only)) == ["lin01", "lin02", "lin03"]


def test_a_foreign_key_is_refused(lab, tmp_path):
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    results = lab.ansible("lin01", "ansible.builtin.ping",
                          extra=["-e", "ansible_ssh_private_key_file=%s" % other,
                                 # no ControlPersist master: one from an earlier test would let it in
                                 "-e", "ansible_ssh_args='-o ControlMaster=no -o ControlPath=none'",
                                 "--ssh-extra-args=-o IdentitiesOnly=yes -o PreferredAuthentications=publickey"])
    assert results["lin01"].get("unreachable"), results


def test_inventory_groups_hosts_and_addresses(lab):
    assert [h.name for h in lab.group("linux")] == ["lin01", "lin02", "lin03"]
    assert lab.group("truenas") == []
    addresses = [h.address for h in lab.hosts]
    assert len(set(addresses)) == 3 and all(a.startswith("10.213.") for a in addresses)
    assert os.path.isabs(lab.inventory) and os.path.isabs(lab.key)


def test_each_host_has_its_own_hostname_machine_id_and_host_key(lab):
    hostnames = _sh(lab, "hostname")
    assert hostnames == {"lin01": "lin01", "lin02": "lin02", "lin03": "lin03"}
    assert len(set(_sh(lab, "cat /etc/machine-id").values())) == 3
    inside = _sh(lab, "cat /etc/ssh/ssh_host_ed25519_key.pub")
    assert len({v.split()[1] for v in inside.values()}) == 3
    # The key a client is offered on the wire is the one on that host's disk.
    for host in lab.hosts:
        scan = subprocess.run(["ssh-keyscan", "-t", "ed25519", host.address], capture_output=True, text=True,
                              check=True).stdout.split()
        assert scan[2] == inside[host.name].split()[1]


def test_hosts_are_running_systemd_and_reach_only_their_lab(lab):
    states = _sh(lab, "systemctl is-system-running --wait")
    assert set(states.values()) == {"running"}
    routes = _sh(lab, "ip -4 route show")
    for host in lab.hosts:
        assert "default" not in routes[host.name]
        assert routes[host.name].startswith(host.address.rsplit(".", 1)[0] + ".0/24 ")


def test_root_password_is_the_one_in_the_inventory(lab):
    def check(password):
        results = lab.ansible("all", "ansible.builtin.command",
                              {"argv": ["python3", "-W", "ignore", "-c", CHECK_ROOT_PASSWORD],
                               "stdin": password, "stdin_add_newline": False})
        return {host: r.get("stdout") for host, r in results.items()}

    assert set(check(lab.root_password).values()) == {"$6$ match"}
    assert set(check(lab.root_password + "x").values()) == {"$6$ mismatch"}


# --- lifecycle: each test below runs its own lab -----------------------------------------------

def _lab_state(lab):
    with open(os.path.join(lab.state_dir, "lab.json"), encoding="utf-8") as fh:
        return json.load(fh)


def _cgroup_pids(name):
    pids = set()
    for top in ("/sys/fs/cgroup/systemd/fleet2fa/" + name, "/sys/fs/cgroup/unified/fleet2fa/" + name):
        for dirpath, _dirs, _files in os.walk(top):
            with open(os.path.join(dirpath, "cgroup.procs"), encoding="ascii") as fh:
                pids.update(int(p) for p in fh.read().split())
    return pids


def _start_time(pid):
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as fh:
            return fh.read().rsplit(")", 1)[1].split()[19]
    except OSError:
        return None


def traces(lab):
    """Everything of a lab that the machine can see: netns, links, mounts, cgroups, nspawn dirs, state,
    the ssh masters' folder."""
    found = set()
    found.update(("netns", n) for n in (os.listdir("/run/netns") if os.path.isdir("/run/netns") else [])
                 if n.startswith("f2f.%s." % lab.name))
    links = json.loads(subprocess.run(["ip", "-j", "link", "show"], capture_output=True, text=True,
                                      check=True).stdout)
    found.update(("link", li["ifname"]) for li in links if li.get("ifalias") == "fleet2fa:" + lab.name)
    with open("/proc/mounts", encoding="utf-8") as fh:
        found.update(("mount", m) for m in (line.split()[1] for line in fh)
                     if m.startswith(("/run/fleet2fa/labs/%s/" % lab.name, "/run/netns/f2f.%s." % lab.name)))
    for top in ("/sys/fs/cgroup/systemd/fleet2fa/", "/sys/fs/cgroup/unified/fleet2fa/"):
        if os.path.isdir(top + lab.name):
            found.add(("cgroup", top + lab.name))
    propagate = "/run/systemd/nspawn/propagate"
    if os.path.isdir(propagate):
        found.update(("propagate", n) for n in os.listdir(propagate) if n.startswith(lab.name + "."))
    for kind, path in (("state", lab.state_dir), ("control", lab.control_dir)):
        if path and os.path.exists(path):
            found.add((kind, path))
    return found


def processes(lab):
    """(pid, start time) of every process of the lab: launchers, nspawn, the containers' trees."""
    return {(p, _start_time(p)) for p in _cgroup_pids(lab.name)}


def assert_gone(procs, within=30.0):
    """The processes leave the process table (PID 1 here reaps orphans every few seconds)."""
    deadline = time.monotonic() + within
    while True:
        left = {(p, t) for p, t in procs if t is not None and _start_time(p) == t}
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert not left, "processes left behind: %s" % sorted(left)


def test_down_leaves_nothing_behind(make_lab):
    lab = make_lab(linux=2)
    up_traces, up_procs = traces(lab), processes(lab)
    kinds = {kind for kind, _path in up_traces}
    # the overlay roots are mounted in each host's private namespace: the machine sees only netns mounts
    assert kinds == {"netns", "link", "mount", "cgroup", "propagate", "state", "control"}, up_traces
    assert all(path.startswith("/run/netns/") for kind, path in up_traces if kind == "mount")
    assert len([t for t in up_traces if t[0] == "link"]) == 3  # bridge + one veth a host
    assert len(up_procs) > 2 * 5  # nspawn + the container's systemd, journald, sshd, ... a host
    ping = lab.run_ansible("all", "-m", "ansible.builtin.ping")  # leaves ssh ControlPersist masters
    assert ping.returncode == 0, ping.stdout + ping.stderr
    masters = _ssh_masters(lab)
    assert masters
    lab.down()
    assert traces(lab) == set()
    assert_gone(up_procs | masters)
    lab.down()  # idempotent


def _ssh_masters(lab):
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=True).stdout
    pids = [int(line.split(None, 1)[0]) for line in out.splitlines()
            if "ssh: " + lab.control_dir + "/" in line]
    return {(p, _start_time(p)) for p in pids}


def test_up_after_a_killed_lab_recovers(make_lab):
    lab = make_lab(linux=2)
    before = processes(lab)
    for host in _lab_state(lab)["hosts"]:
        os.kill(host["pid"], signal.SIGKILL)  # nspawn dies; its container lives on, orphaned
    time.sleep(0.5)
    assert {p for p, _t in processes(lab)}, "the containers should have outlived their nspawn"
    again = Lab(lab.name, linux=2).up()
    assert_gone(before)
    assert _pongs(again.ansible("all", "ansible.builtin.ping")) == ["lin01", "lin02"]
    assert len([t for t in traces(again) if t[0] == "netns"]) == 2
    again.down()
    assert traces(again) == set()


def test_labs_with_different_names_come_up_at_once_and_run_side_by_side(lab):
    others = [Lab(lab_name_for(__file__ + ".side-by-side", i), linux=1) for i in (1, 2)]
    try:
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            list(pool.map(Lab.up, others))
        subnets = {h.address.rsplit(".", 1)[0] for x in [lab] + others for h in x.hosts}
        assert len(subnets) == 3
        for other in others:
            assert _pongs(other.ansible("all", "ansible.builtin.ping")) == ["lin01"]
        others[0].down()
        assert _pongs(others[1].ansible("all", "ansible.builtin.ping")) == ["lin01"]
        assert _pongs(lab.ansible("all", "ansible.builtin.ping")) == ["lin01", "lin02", "lin03"]
    finally:
        for other in others:
            other.down()


def test_twenty_hosts_come_up_answer_and_go(make_lab):
    start = time.monotonic()
    lab = make_lab(linux=20)
    up_s = time.monotonic() - start
    up_procs = processes(lab)
    start = time.monotonic()
    assert _pongs(lab.ansible("all", "ansible.builtin.ping")) == ["lin%02d" % i for i in range(1, 21)]
    ping_s = time.monotonic() - start
    start = time.monotonic()
    lab.down()
    down_s = time.monotonic() - start
    assert traces(lab) == set()
    assert_gone(up_procs)
    print("20 hosts: up %.1f s, ping %.1f s, down %.1f s" % (up_s, ping_s, down_s))


@pytest.mark.skipif(not os.access(os.path.join(os.path.dirname(__file__), "..", "lab", "truenas", "provision"), os.X_OK),
                    reason="the TrueNAS simulator is not built yet")
def test_truenas_hosts_are_named_by_version_and_grouped(make_lab):
    lab = make_lab(linux=1, truenas=["25.10", "13.3", "25.10"])
    assert [(h.name, h.group, h.truenas_version) for h in lab.hosts] == [
        ("lin01", "linux", None), ("tn2510-1", "truenas", "25.10"), ("tn133-1", "truenas", "13.3"),
        ("tn2510-2", "truenas", "25.10")]
    assert _sh(lab, "hostname") == {h.name: h.name for h in lab.hosts}
    lab.down()


def test_unknown_truenas_version_is_refused_before_anything_starts(tmp_path):
    name = lab_name_for("test_lab.bad_version")
    res = subprocess.run([os.path.join(os.path.dirname(__file__), "..", "lab", "fleet"), "up", "--lab", name,
                          "--truenas", "12.0"], capture_output=True, text=True, check=False)
    assert res.returncode == 1
    assert "unknown TrueNAS version '12.0'" in res.stderr
    assert not os.path.exists("/run/fleet2fa/labs/" + name)


# --- faults: what the fault tests put on one host, and take away again ---------------------------

def _banner(address, timeout=3.0):
    """What the host's port 22 does: "ssh" (an SSH banner), "refused", "timeout" or "prohibited"."""
    try:
        with socket.create_connection((address, 22), timeout=timeout) as sock:
            sock.settimeout(timeout)
            return "ssh" if sock.recv(64).startswith(b"SSH-") else "other"
    except socket.timeout:
        return "timeout"
    except ConnectionRefusedError:
        return "refused"
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EHOSTUNREACH, errno.ENETUNREACH):
            return "prohibited"
        raise


def _keyscan(address):
    out = subprocess.run(["ssh-keyscan", "-t", "ed25519,ecdsa", address], capture_output=True, text=True,
                         check=True).stdout
    return {line.split()[1]: line.split()[2] for line in out.splitlines() if line.strip()}


def test_a_cut_host_drops_every_packet_until_its_network_is_restored(lab):
    cut, other = lab.host("lin02"), lab.host("lin01")
    try:
        faults.cut_network(lab.name, "lin02")
        assert faults.network_is_cut(lab.name, "lin02")
        assert _banner(cut.address) == "timeout"  # no reset, no refusal: the packets go nowhere
        assert _banner(other.address) == "ssh"
    finally:
        faults.restore_network(lab.name, "lin02")
    assert not faults.network_is_cut(lab.name, "lin02")
    assert _banner(cut.address) == "ssh"
    assert _pongs(lab.ansible("lin02", "ansible.builtin.ping")) == ["lin02"]


def test_a_killed_sshd_stays_down_until_it_is_started_again(lab):
    host = lab.host("lin03")
    try:
        fleet("kill-sshd", "--lab", lab.name, "lin03")
        assert _banner(host.address) == "refused"
        time.sleep(2)  # Debian's ssh.service restarts a killed sshd after 0.1 s; the fault keeps it down
        assert _banner(host.address) == "refused"
        assert _banner(lab.host("lin01").address) == "ssh"
    finally:
        fleet("start-sshd", "--lab", lab.name, "lin03")
    assert _banner(host.address) == "ssh"
    assert _pongs(lab.ansible("lin03", "ansible.builtin.ping")) == ["lin03"]


def test_swapped_host_keys_are_served_and_a_client_that_knew_the_old_ones_refuses(lab, tmp_path):
    host = lab.host("lin01")
    before = _keyscan(host.address)
    known = tmp_path / "known_hosts"
    known.write_text("".join("%s %s %s\n" % (host.address, kind, key) for kind, key in before.items()))
    res = fleet("swap-host-keys", "--lab", lab.name, "lin01")
    printed = dict(line.split() for line in res.stdout.splitlines())
    after = _keyscan(host.address)
    assert printed == after and set(after) == {"ssh-ed25519", "ecdsa-sha2-nistp256"}
    assert all(after[kind] != before[kind] for kind in after)
    pinned = subprocess.run(["ssh", "-o", "UserKnownHostsFile=%s" % known, "-o", "StrictHostKeyChecking=yes",
                             "-o", "BatchMode=yes", "-o", "ControlMaster=no", "-o", "ControlPath=none",
                             "-i", lab.key, "root@" + host.address, "true"], capture_output=True, text=True,
                            check=False)
    assert pinned.returncode == 255 and "REMOTE HOST IDENTIFICATION HAS CHANGED" in pinned.stderr
    # The lab's own inventory ignores host keys, so Ansible still gets in.
    assert _pongs(lab.ansible("lin01", "ansible.builtin.ping")) == ["lin01"]


def test_with_a_bastion_the_hosts_are_reached_only_through_it():
    name = lab_name_for(__file__ + ".bastion")
    bastion_lab = Lab(name)
    try:
        fleet("up", "--lab", name, "--linux", "2", "--bastion")
        bastion_lab.refresh()
        jump = bastion_lab.host("bastion")
        assert [(h.name, h.group) for h in bastion_lab.hosts] == [
            ("lin01", "linux"), ("lin02", "linux"), ("bastion", "bastion")]
        assert _banner(jump.address) == "ssh"
        assert {h.name: _banner(h.address) for h in bastion_lab.group("linux")} == {
            "lin01": "prohibited", "lin02": "prohibited"}
        # Ansible goes through the bastion (ProxyJump from the inventory) and lands on each host.
        assert _sh(bastion_lab, "hostname") == {"lin01": "lin01", "lin02": "lin02", "bastion": "bastion"}
        peers = bastion_lab.ansible("bastion", "ansible.builtin.command", "ssh-keyscan -t ed25519 %s"
                                    % bastion_lab.host("lin02").address)
        assert peers["bastion"]["rc"] == 0 and "ssh-ed25519" in peers["bastion"]["stdout"]
    finally:
        bastion_lab.down()
    routes = subprocess.run(["ip", "-j", "route", "show", "type", "prohibit"], capture_output=True, text=True,
                            check=True).stdout
    prefix = jump.address.rsplit(".", 1)[0] + "."
    assert [r for r in json.loads(routes or "[]") if r.get("dst", "").startswith(prefix)] == []
    assert traces(bastion_lab) == set()
