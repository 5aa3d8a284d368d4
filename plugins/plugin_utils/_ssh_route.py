# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The way a login proof goes to a host: the way Ansible's own connection goes.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

Ansible's ``ssh`` connection dials with the controller's OpenSSH client, its options (``ssh_args``,
``ansible_port``, ``ansible_user``, the key, ``ssh_common_args``, ``ssh_extra_args``) in front of the
user's ssh_config files. Rather than read those options and files a second way, the proof asks that
same client what it would do: ``ssh -G`` prints the settings in force for the destination (host name,
port, ProxyJump, ProxyCommand) once every -o option, -F file and Match block is applied. The proof then
goes straight there, through the ProxyCommand, or through the jump hosts the way OpenSSH does it itself:
it turns ``ProxyJump`` into ``ssh [-l user] [-p port] [-J earlier hops] [-F config] -W '[%h]:%p' last-hop``
(openssh-portable ssh.c, main(): "If ProxyJump option specified, then construct a ProxyCommand now"),
so the jump hosts are reached with their own ssh_config settings, as Ansible's ssh reaches them.

Settings the proof cannot honour (a source address, a passed file descriptor) fail with a clear
message rather than dialling another way than Ansible does.
"""

from __future__ import annotations

import dataclasses
import shlex
import socket
import subprocess

from ansible_collections.fleet2fa.nas.plugins.module_utils import _deps as deps
from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError

with deps.declare("paramiko", reason="to log in over SSH with password and one-time code"):
    import paramiko

SSH_TRANSPORTS = ("ssh", "ansible.builtin.ssh")
PARAMIKO_TRANSPORTS = ("paramiko", "paramiko_ssh", "ansible.builtin.paramiko_ssh")
# ssh -G settings that change how the client dials, which a paramiko socket cannot do alike.
_UNFOLLOWED = {"bindaddress": "BindAddress", "bindinterface": "BindInterface"}


class RouteError(Fleet2faError):
    """The proof cannot go the way Ansible's connection goes; the message says which setting."""


@dataclasses.dataclass(frozen=True)
class SshRoute:
    """Where the proof's SSH session goes: ``host:port``, straight or through ``proxy_command``."""

    host: str
    port: int = 22
    proxy_command: str | None = None  # a shell command line whose stdin/stdout is the connection
    via: str | None = None  # for messages: "through root@10.0.0.3 (ProxyJump)"

    def describe(self):
        return "%s:%d%s" % (self.host, self.port, " " + self.via if self.via else "")

    def open(self, timeout):
        """A connected socket, or a paramiko.ProxyCommand, to hand to paramiko.Transport."""
        if self.proxy_command is None:
            return socket.create_connection((self.host, self.port), timeout=timeout)
        # OpenSSH runs a ProxyCommand through the shell ("exec" so that no shell stays in between).
        proxy = paramiko.ProxyCommand("/bin/sh -c %s" % shlex.quote("exec " + self.proxy_command))
        proxy.settimeout(timeout)
        return proxy


def split_args(value):
    """Ansible's split of an ssh_args-style string (shlex), a list as is."""
    if not value:
        return []
    return list(value) if isinstance(value, (list, tuple)) else shlex.split(str(value))


def ansible_ssh_argv(option, port=None, user=None):
    """The options Ansible's ssh connection puts on the ssh command line, in its order.

    ``option(name)`` reads an option of the task's connection (None when unset). As
    ansible.builtin.ssh's _build_command: ssh_args, StrictHostKeyChecking=no when host_key_checking is
    off, Port, IdentityFile, User, then ssh_common_args and ssh_extra_args.
    """
    argv = split_args(option("ssh_args"))
    if option("host_key_checking") is False:
        argv += ["-o", "StrictHostKeyChecking=no"]
    port = port or option("port")
    if port:
        argv += ["-o", "Port=%s" % port]
    if option("private_key_file"):
        argv += ["-o", 'IdentityFile="%s"' % option("private_key_file")]
    user = user or option("remote_user")
    if user:
        argv += ["-o", 'User="%s"' % user]
    return argv + split_args(option("ssh_common_args")) + split_args(option("ssh_extra_args"))


def _config_file(argv):
    """The -F file of ``argv`` (the last one wins, as in ssh), or None."""
    found = None
    for index, arg in enumerate(argv):
        if arg == "-F" and index + 1 < len(argv):
            found = argv[index + 1]
        elif arg.startswith("-F") and len(arg) > 2:
            found = arg[2:]
    return found


def effective_settings(ssh_executable, argv, host):
    """{keyword: value} of ``ssh -G`` for ``host`` with ``argv``: what OpenSSH itself would use."""
    command = [ssh_executable or "ssh", "-G"] + list(argv) + ["--", host]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RouteError("cannot ask the controller's ssh client (%s -G) how Ansible reaches %s: %s"
                         % (command[0], host, exc)) from None
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["exit %d" % done.returncode]
        raise RouteError("the controller's ssh client refuses the connection's ssh options for %s: %s"
                         % (host, last[0]))
    settings = {}
    for line in done.stdout.splitlines():
        keyword, _sep, value = line.partition(" ")
        settings.setdefault(keyword.lower(), value)
    return settings


def parse_hop(hop):
    """(user or None, host, port or None) of one ProxyJump hop: [user@]host[:port] or ssh://user@host:port."""
    text = hop[len("ssh://"):] if hop.startswith("ssh://") else hop
    user, _at, rest = text.rpartition("@")
    port = None
    if rest.startswith("["):
        host, _close, tail = rest[1:].partition("]")
        if tail.startswith(":"):
            port = tail[1:]
    elif rest.count(":") == 1:
        host, _colon, port = rest.partition(":")
    else:
        host = rest
    if not host or host.startswith("-") or (port is not None and not port.isdigit()):
        raise RouteError("ProxyJump hop %r is not [user@]host[:port]" % hop)
    return user or None, host, int(port) if port else None


def jump_command(proxy_jump, ssh_executable, config_file):
    """The ProxyCommand OpenSSH makes of ``proxy_jump`` (see the module's docstring)."""
    hops = [hop.strip() for hop in proxy_jump.split(",") if hop.strip()]
    user, host, port = parse_hop(hops[-1])
    for hop in hops[:-1]:
        parse_hop(hop)
    words = [ssh_executable or "ssh"]
    words += ["-l", user] if user else []
    words += ["-p", str(port)] if port else []
    words += ["-J", ",".join(hops[:-1])] if len(hops) > 1 else []
    words += ["-F", config_file] if config_file else []
    # Never a password prompt from the jump client: the proof runs unattended.
    words += ["-o", "BatchMode=yes", "-W", "[%h]:%p", host]
    return " ".join(shlex.quote(word) for word in words)


def expand_tokens(command, host, port, user):
    """A ProxyCommand with OpenSSH's %h, %p, %r, %n and %% filled in; any other token is refused."""
    values = {"h": host, "n": host, "p": str(port), "r": user or "", "%": "%"}
    out, index = [], 0
    while index < len(command):
        char = command[index]
        if char == "%" and index + 1 < len(command):
            token = command[index + 1]
            if token not in values:
                raise RouteError("the connection's ProxyCommand uses %%%s, which the login proof cannot fill in "
                                 "(it knows %%h, %%n, %%p, %%r)" % token)
            out.append(values[token])
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


def route_from_settings(settings, ssh_executable, argv, host):
    """The SshRoute of ``ssh -G`` settings (see effective_settings)."""
    for keyword, name in _UNFOLLOWED.items():
        if settings.get(keyword, "none") not in ("none", ""):
            raise RouteError("the connection's ssh options set %s %s, which the login proof cannot follow"
                             % (name, settings[keyword]))
    if settings.get("proxyusefdpass", "no") == "yes":
        raise RouteError("the connection's ssh options set ProxyUseFdpass yes, which the login proof cannot follow")
    target = settings.get("hostname") or host
    port = int(settings.get("port") or 22)
    jump = settings.get("proxyjump", "none")
    if jump not in ("none", ""):
        command = jump_command(jump, ssh_executable, _config_file(argv))
        return SshRoute(target, port, expand_tokens(command, target, port, settings.get("user")),
                        "through %s (ProxyJump)" % jump)
    proxy = settings.get("proxycommand", "none")
    if proxy not in ("none", ""):
        return SshRoute(target, port, expand_tokens(proxy, target, port, settings.get("user")), "through ProxyCommand")
    return SshRoute(target, port)


def ansible_route(transport, option, address, port, port_given):
    """The SshRoute of a proof to ``address:port`` as the task's connection (``transport``) would go.

    ``option(name)``: an option of the connection, None when unset. ``port_given``: whether a port was
    set (task, connection or ansible_port); else ssh_config's Port holds, as for Ansible.
    """
    if transport in SSH_TRANSPORTS:
        argv = ansible_ssh_argv(option, port=port if port_given else None)
        return route_from_settings(effective_settings(option("ssh_executable"), argv, address),
                                   option("ssh_executable"), argv, address)
    if transport in PARAMIKO_TRANSPORTS and option("proxy_command"):
        command = expand_tokens(option("proxy_command"), address, port, option("remote_user"))
        return SshRoute(address, port, command, "through the connection's proxy_command")
    return SshRoute(address, port)


# Run over Ansible's own (key-authenticated) connection: the public keys of the host keys sshd
# serves (sshd -T names them; sshd loads "<key>.pub" beside each, else the key gives its public half),
# else the usual files (Linux /etc/ssh, TrueNAS CORE /usr/local/etc/ssh).
READ_HOST_KEYS = r"""
PATH="$PATH:/usr/sbin:/usr/local/sbin"
for key in $(sshd -T 2>/dev/null | sed -n 's/^hostkey //p'); do
  cat "$key.pub" 2>/dev/null || ssh-keygen -y -f "$key" 2>/dev/null || true
done
cat /etc/ssh/ssh_host_*_key.pub /usr/local/etc/ssh/ssh_host_*_key.pub 2>/dev/null || true
"""


def parse_public_keys(text):
    """["type base64", ...] of OpenSSH public key lines (comments dropped), in order, without repeats."""
    keys = []
    for line in (text or "").splitlines():
        words = line.split()
        if len(words) >= 2 and not words[0].startswith("#") and "%s %s" % tuple(words[:2]) not in keys:
            keys.append("%s %s" % tuple(words[:2]))
    return keys


def key_login(ssh_executable, argv, destination, user, known_hosts_file, timeout, nonce):
    """Log in as ``user`` by key alone on a fresh connection, run ``echo nonce``; None, or what failed.

    The same client and options as Ansible's connection, with these first (ssh takes the first value
    of an option): no ControlMaster or ControlPath (a live master would hide a broken sshd), key only,
    no prompts, the host's keys pinned in ``known_hosts_file`` under one alias, and ssh's errors said
    (LogLevel INFO: "channel 0: open failed" for MaxSessions 0).
    """
    command = [ssh_executable or "ssh",
               "-o", "ControlMaster=no", "-o", "ControlPath=none", "-o", "ControlPersist=no",
               "-o", "BatchMode=yes", "-o", "PreferredAuthentications=publickey",
               "-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no",
               "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + known_hosts_file,
               "-o", "GlobalKnownHostsFile=/dev/null", "-o", "HostKeyAlias=fleet2fa-proof",
               "-o", "LogLevel=INFO", "-o", "ConnectTimeout=%d" % timeout] + (["-o", 'User="%s"' % user] if user else [])
    command += list(argv) + ["--", destination, "echo " + nonce]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=3 * timeout,
                              stdin=subprocess.DEVNULL, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return "no answer in time (%s)" % type(exc).__name__
    if done.returncode == 0 and nonce in done.stdout.split():
        return None
    said = " ".join((done.stderr or "").strip().splitlines()[-2:])[:300]
    if done.returncode == 255:
        return "ssh failed: %s" % (said or "exit 255")
    return "the session ran no command (exit %d, the echoed check word missing%s): ForceCommand, MaxSessions " \
           "or the account's shell?" % (done.returncode, "; " + said if said else "")
