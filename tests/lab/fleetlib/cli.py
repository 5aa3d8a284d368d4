"""tests/lab/fleet: command line of the lab fleet (docs/lab.md)."""

import argparse
import json
import os
import sys
import time

if __package__ in (None, ""):  # run as a script by tests/lab/fleet
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from fleetlib import faults, image, lab, procs  # noqa: E402
from fleetlib.common import FleetError, check_lab_name, default_lab, log  # noqa: E402


def _status(name):
    state = lab.load(name)
    alive = len(procs.cgroup_pids(name)) > 0
    if not state:
        return {"name": name, "state": "leftovers" if alive else "partial", "hosts": []}
    return {"name": name, "state": "up" if alive else "stopped", "subnet": "10.213.%d.0/24" % state["octet"],
            "inventory": state.get("inventory"), "key": state.get("key"), "control_dir": state.get("control_dir"),
            "root_password": state.get("root_password"),
            "hosts": [{k: h.get(k) for k in ("name", "group", "address", "truenas_version")}
                      for h in state["hosts"]]}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="fleet", description="The fleet2fa lab: real sshd hosts in systemd-nspawn.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("image", help="build (or reuse) the cached host image; prints its path")
    p_up = sub.add_parser("up", help="(re)create a lab and wait for every sshd; prints the inventory path")
    p_up.add_argument("--linux", type=int, default=0, metavar="N")
    p_up.add_argument("--truenas", default="", metavar="V1,V2,...")
    p_up.add_argument("--bastion", action="store_true",
                      help="add a host 'bastion' and reach the others only through it (ProxyJump)")
    p_down = sub.add_parser("down", help="power the lab off and remove every trace of it")
    p_down.add_argument("--all", action="store_true", help="every lab on this machine")
    p_down.add_argument("--prefix", metavar="P", help="every lab whose name starts with P- (one test run's labs)")
    p_inv = sub.add_parser("inventory", help="print the absolute path of the lab's inventory")
    p_st = sub.add_parser("status", help="what is up")
    p_st.add_argument("--json", action="store_true")
    fault_cmds = {
        "cut": (faults.cut_network, "drop every packet to and from a host (its link goes down)"),
        "restore": (faults.restore_network, "bring a cut host's link back"),
        "kill-sshd": (faults.kill_sshd, "SIGKILL a host's sshd; it stays down until start-sshd"),
        "start-sshd": (faults.start_sshd, "start a killed sshd again"),
        "swap-host-keys": (faults.swap_host_keys, "give a host new SSH host keys (prints them)"),
    }
    p_faults = []
    for name, (_func, text) in fault_cmds.items():
        p_fault = sub.add_parser(name, help=text)
        p_fault.add_argument("host")
        p_faults.append(p_fault)
    for p in [p_up, p_down, p_inv, p_st] + p_faults:
        p.add_argument("--lab", default=default_lab(), help="lab name (default: $FLEET2FA_LAB or 'lab')")
    args = parser.parse_args(argv)
    try:
        if os.geteuid() != 0:
            raise FleetError("the lab needs root (network namespaces, mounts, cgroups)")
        if args.cmd == "image":
            print(image.ensure_image())
        elif args.cmd == "up":
            if args.linux < 0:
                raise FleetError("--linux must be 0 or more")
            versions = [v.strip() for v in args.truenas.split(",") if v.strip()]
            state = lab.up(check_lab_name(args.lab), args.linux, versions, bastion=args.bastion)
            print(state["inventory"])
        elif args.cmd == "down":
            start = time.monotonic()
            if args.all:
                names = lab.all_labs()
            elif args.prefix:
                names = [n for n in lab.all_labs() if n.startswith(args.prefix + "-")]
            else:
                names = [check_lab_name(args.lab)]
            for name in names:
                lab.down(name)
            if names:
                log("down %s in %.1f s" % (", ".join(names), time.monotonic() - start))
        elif args.cmd in fault_cmds:
            done = fault_cmds[args.cmd][0](check_lab_name(args.lab), args.host)
            for kind, key in sorted((done or {}).items()):
                print("%s %s" % (kind, key))
        elif args.cmd == "inventory":
            state = lab.load(check_lab_name(args.lab))
            if not state or not os.path.isfile(state.get("inventory") or ""):
                raise FleetError("lab %s is not up (tests/lab/fleet up --lab %s --linux N)" % (args.lab, args.lab))
            print(state["inventory"])
        elif args.cmd == "status":
            labs = [_status(n) for n in lab.all_labs()]
            if args.json:
                print(json.dumps(labs, indent=2))
            for item in [] if args.json else labs:
                row = (item["name"], item["state"], item.get("subnet", "-"), len(item["hosts"]), item.get("inventory") or "")
                print("%-20s %-9s %-16s %d hosts  %s" % row)
    except FleetError as exc:
        print("fleet: error: %s" % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
