"""The lab's Ansible inventory (YAML, groups linux and truenas)."""

import json
import os

from .common import write_file


NO_HOST_KEY_CHECKS = "-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no -o LogLevel=ERROR"


def _q(value):
    # A JSON string is a valid YAML double-quoted scalar, so no YAML library is needed.
    return json.dumps(value)


def write(state):
    sdir = state["dir"]
    # ServerAlive: a master whose host is cut off (no reset, as with a pulled cable) gives up after
    # about 15 s; without it the master, and every task multiplexed over it, would wait for hours.
    ssh_args = ("-o ControlMaster=auto -o ControlPersist=60s -o ControlPath=%s/%%C"
                " -o ServerAliveInterval=5 -o ServerAliveCountMax=3" % state["control_dir"])
    lines = [
        "# fleet2fa lab %s: written by `tests/lab/fleet up`, removed by `tests/lab/fleet down`." % state["name"],
        "all:",
        "  vars:",
        "    lab_name: " + _q(state["name"]),
        # Host keys are new on every `up`: never learn or check them.
        "    ansible_ssh_common_args: " + _q(NO_HOST_KEY_CHECKS),
        "    ansible_ssh_args: " + _q(ssh_args),
        "    ansible_pipelining: true",
        "  children:",
    ]
    bastion = state.get("bastion")
    jump_args = None
    if bastion:
        # ssh applies command-line options to the destination only: the jump's own key and host key
        # settings come from a config file of the lab's.
        config = os.path.join(sdir, "ssh_config")
        write_file(config, "\n".join([
            "# fleet2fa lab %s: the bastion, for ProxyJump (tests/lab/fleet up --bastion)" % state["name"],
            "Host " + bastion, "  User root", "  IdentityFile " + state["key"], "  IdentitiesOnly yes",
            "  UserKnownHostsFile /dev/null", "  StrictHostKeyChecking no", "  LogLevel ERROR", ""]), 0o600)
        jump_args = "%s -F %s -o ProxyJump=root@%s" % (NO_HOST_KEY_CHECKS, config, bastion)
    for group in ("linux", "truenas", "bastion"):
        if group == "bastion" and not bastion:
            continue
        members = [h for h in state["hosts"] if h["group"] == group]
        lines += ["    %s:" % group, "      hosts:" + ("" if members else " {}")]
        for host in members:
            lines += [
                "        %s:" % host["name"],
                "          ansible_host: " + _q(host["address"]),
                "          ansible_user: root",
                "          ansible_ssh_private_key_file: " + _q(state["key"]),
                "          ansible_python_interpreter: /usr/bin/python3",
                "          lab_root_password: " + _q(state["root_password"]),
            ]
            if host["truenas_version"]:
                lines.append("          truenas_version: " + _q(host["truenas_version"]))
            if jump_args and host["group"] != "bastion":
                lines.append("          lab_bastion: " + _q(bastion))
                lines.append("          ansible_ssh_common_args: " + _q(jump_args))
    write_file(state["inventory"], "\n".join(lines) + "\n", 0o600)
