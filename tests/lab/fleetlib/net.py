"""A lab's network: one bridge on the controller, one netns + veth per host, one /24."""

import json
import os

from .common import NETNS_DIR, STATE_ROOT, SUBNET_PREFIX, link_alias, netns_name, run

NETNS_MARKER = os.path.join(os.path.dirname(STATE_ROOT), "netns-mount-is-ours")


def bridge_name(octet):
    return "f2fbr%d" % octet


def veth_name(octet, index):
    return "f2f%dv%d" % (octet, index)


def controller_address(octet):
    return "%s.%d.1" % (SUBNET_PREFIX, octet)


def host_address(octet, index):
    return "%s.%d.%d" % (SUBNET_PREFIX, octet, 10 + index)


def links():
    """Every link of the root netns as {name: alias}."""
    out = run(["ip", "-j", "link", "show"]).stdout
    return {item["ifname"]: item.get("ifalias", "") for item in json.loads(out or "[]")}


def used_octets():
    """Third octets of 10.213.X.0/24 already routed on this machine (by any lab or anyone else)."""
    out = run(["ip", "-j", "-4", "addr", "show"]).stdout
    octets = set()
    for item in json.loads(out or "[]"):
        for addr in item.get("addr_info", []):
            parts = addr.get("local", "").split(".")
            if ".".join(parts[:2]) == SUBNET_PREFIX:
                octets.add(int(parts[2]))
    return octets


def create_bridge(lab, octet):
    br = bridge_name(octet)
    show_hosts(octet)  # a lab of this /24 that was killed may have left its routes
    run(["ip", "link", "add", br, "type", "bridge", "forward_delay", "0", "stp_state", "0"])
    run(["ip", "link", "set", br, "alias", link_alias(lab)])
    run(["ip", "addr", "add", controller_address(octet) + "/24", "dev", br])
    run(["ip", "link", "set", br, "up"])


def _is_mountpoint(path):
    with open("/proc/mounts", encoding="utf-8") as fh:
        return any(line.split()[1] == path for line in fh)


def create_host_net(lab, octet, index, host):
    """Call with the global lock held (see release_netns_mount)."""
    ns = netns_name(lab, host)
    if not _is_mountpoint(NETNS_DIR):
        # `ip netns add` mounts /run/netns over itself the first time; remember it was us.
        with open(NETNS_MARKER, "w", encoding="ascii"):
            pass
    veth = veth_name(octet, index)
    run(["ip", "netns", "add", ns])
    run(["ip", "link", "add", veth, "type", "veth", "peer", "name", "host0", "netns", ns])
    run(["ip", "link", "set", veth, "alias", link_alias(lab)])
    run(["ip", "link", "set", veth, "master", bridge_name(octet), "up"])
    # Only the lab's own /24: no default route, so a host can reach nothing beyond its lab.
    run(["ip", "-n", ns, "addr", "add", host_address(octet, index) + "/24", "dev", "host0"])
    run(["ip", "-n", ns, "link", "set", "host0", "up"])
    run(["ip", "-n", ns, "link", "set", "lo", "up"])
    return os.path.join(NETNS_DIR, ns)


def release_netns_mount():
    """Undo the /run/netns mount that our first `ip netns add` made, once no netns is left."""
    if os.path.exists(NETNS_MARKER) and (not os.path.isdir(NETNS_DIR) or not os.listdir(NETNS_DIR)):
        if os.path.isdir(NETNS_DIR) and run(["umount", NETNS_DIR], check=False, quiet=True).returncode == 0:
            os.rmdir(NETNS_DIR)
        os.unlink(NETNS_MARKER)


def lab_netns(lab):
    """Names of the netns that belong to a lab."""
    if not os.path.isdir(NETNS_DIR):
        return []
    prefix = "f2f.%s." % lab
    return sorted(n for n in os.listdir(NETNS_DIR) if n.startswith(prefix) and "." not in n[len(prefix):])


def all_lab_names_from_netns():
    if not os.path.isdir(NETNS_DIR):
        return set()
    return {n.split(".")[1] for n in os.listdir(NETNS_DIR) if n.startswith("f2f.") and n.count(".") == 2}


def remove_lab_net(lab):
    """Delete the lab's veths and bridge (found by alias) and its netns."""
    alias = link_alias(lab)
    found = links()
    for name, link_al in sorted(found.items(), key=lambda kv: kv[0].startswith("f2fbr")):
        if link_al == alias:
            run(["ip", "link", "del", name], check=False, quiet=True)
            if name.startswith("f2fbr"):
                show_hosts(int(name[len("f2fbr"):]))
    for ns in lab_netns(lab):
        run(["ip", "netns", "del", ns], check=False, quiet=True)


def all_lab_names_from_links():
    return {alias.split(":", 1)[1] for alias in links().values() if alias.startswith("fleet2fa:")}


def hide_hosts(octet, addresses):
    """The controller stops reaching these hosts (a prohibit route each, more specific than the
    lab's /24); the hosts still reach each other, so a bastion among them can forward."""
    for address in addresses:
        run(["ip", "route", "add", "prohibit", address + "/32"])


def show_hosts(octet):
    """Remove every prohibit route into 10.213.<octet>.0/24."""
    out = run(["ip", "-j", "route", "show", "type", "prohibit"]).stdout
    prefix = "%s.%d." % (SUBNET_PREFIX, octet)
    for route in json.loads(out or "[]"):
        dst = route.get("dst", "")
        if dst.startswith(prefix):
            run(["ip", "route", "del", "prohibit", dst], check=False, quiet=True)
