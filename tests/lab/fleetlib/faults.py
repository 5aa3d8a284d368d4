"""Faults a test can put on one lab host, and take away again (docs/lab.md, "Faults").

The tests' Python API (tests run as root, like the lab)::

    sys.path.insert(0, "<checkout>/tests/lab")
    from fleetlib import faults
    faults.cut_network(lab, "lin02")       # packets to and from the host are dropped
    faults.restore_network(lab, "lin02")
    faults.kill_sshd(lab, "lin02")         # SIGKILL, and systemd does not start it again
    faults.start_sshd(lab, "lin02")
    faults.swap_host_keys(lab, "lin02")    # new Ed25519 and ECDSA host keys, sshd reloaded
    faults.lose_network_after(lab, "tn2510-1", "auth.twofactor.update")  # lost mid-call (simulator)

Each is what `tests/lab/fleet cut|restore|kill-sshd|start-sshd|swap-host-keys --lab LAB HOST` runs.
"""

import os
import threading
import time

from . import procs
from .common import FleetError, run
from .lab import load
from .net import veth_name

# A runtime drop-in (gone at the host's next boot, or with start_sshd) that keeps systemd from
# bringing a killed sshd back: Debian's ssh.service has Restart=on-failure.
NO_RESTART = "/run/systemd/system/ssh.service.d/fleet2fa-fault.conf"


def host_of(lab, host):
    state = load(lab)
    if not state:
        raise FleetError("lab %s is not up" % lab)
    for item in state["hosts"]:
        if item["name"] == host:
            return state, item
    raise FleetError("lab %s has no host %s (it has %s)" % (lab, host, ", ".join(h["name"] for h in state["hosts"])))


def host_exec(lab, host, script):
    """Run a shell script inside a running host (as its root, in all its namespaces); its stdout."""
    pid = procs.init_pid(lab, host)
    if pid is None:
        raise FleetError("%s of lab %s is not running" % (host, lab))
    return run(["nsenter", "--target", str(pid), "--mount", "--uts", "--ipc", "--net", "--pid", "--root", "--wd",
                "--", "/bin/sh", "-euc", script]).stdout


def _veth(lab, host):
    state, item = host_of(lab, host)
    return veth_name(state["octet"], item["index"])


def cut_network(lab, host):
    """The host's cable is pulled: its veth on the lab bridge goes down, every packet is dropped.
    Connections that were open hang (no reset is sent), as with a real network loss."""
    run(["ip", "link", "set", _veth(lab, host), "down"])


def restore_network(lab, host):
    run(["ip", "link", "set", _veth(lab, host), "up"])


def lose_network_after(lab, box, method, timeout=600):
    """A TrueNAS simulator box loses its network right after it next runs ``method`` (a middleware
    method name such as ``auth.twofactor.update``), before the answer leaves: the call took effect
    and the client never hears so. The box removes the request file when it ran the method and
    holds its answer until the cable is cut; a thread here watches for that and cuts it. Returns
    the thread (it ends once it cut, or after ``timeout`` seconds). restore_network brings the box
    back."""
    host_of(lab, box)
    request = "/run/truenas-sim/lose-network-after"
    host_exec(lab, box, "mkdir -p %s && printf '%%s\\n' '%s' > %s" % (os.path.dirname(request), method.replace("'", ""), request))
    seen = "/proc/%d/root%s" % (procs.init_pid(lab, box), request)

    def watch():
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not os.path.exists(seen):
                cut_network(lab, box)
                return
            time.sleep(0.01)

    thread = threading.Thread(target=watch, name="lose-%s-after-%s" % (box, method), daemon=True)
    thread.start()
    return thread


def network_is_cut(lab, host):
    out = run(["ip", "-o", "link", "show", _veth(lab, host)]).stdout
    return "state DOWN" in out or ",UP" not in out.split(">")[0]


def kill_sshd(lab, host):
    """SIGKILL to every process of the host's ssh.service (the listener; sessions live in their own
    scopes and stay), and no restart until start_sshd."""
    host_of(lab, host)
    host_exec(lab, host, "mkdir -p %s && printf '[Service]\\nRestart=no\\n' > %s && systemctl daemon-reload && "
                         "systemctl kill --signal=SIGKILL ssh.service && "
                         "while systemctl -q is-active ssh.service; do sleep 0.05; done"
              % (os.path.dirname(NO_RESTART), NO_RESTART))


def start_sshd(lab, host):
    host_of(lab, host)
    host_exec(lab, host, "rm -f %s && systemctl daemon-reload && systemctl reset-failed ssh.service && "
                         "systemctl start ssh.service" % NO_RESTART)


def swap_host_keys(lab, host):
    """New Ed25519 and ECDSA host keys in place of the old ones, and sshd reloaded to serve them
    (returns once it does). Returns the new public keys ({"ssh-ed25519": "AAAA...", "ecdsa-sha2-nistp256": "AAAA..."})."""
    host_of(lab, host)
    out = host_exec(lab, host, """
cd /etc/ssh
for kind in ed25519 ecdsa; do
  rm -f "ssh_host_${kind}_key" "ssh_host_${kind}_key.pub"
  ssh-keygen -q -t "$kind" -N '' -C "root@$(hostname)" -f "ssh_host_${kind}_key"
done
systemctl reload ssh.service
# sshd re-executes on reload: wait until it answers again, with the new key
new=$(cut -d' ' -f2 ssh_host_ed25519_key.pub)
for _ in $(seq 100); do
  ssh-keyscan -t ed25519 127.0.0.1 2>/dev/null | grep -qF "$new" && break
  sleep 0.1
done
cat ssh_host_ed25519_key.pub ssh_host_ecdsa_key.pub
""")
    return {line.split()[0]: line.split()[1] for line in out.splitlines() if line.strip()}
