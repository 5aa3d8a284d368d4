# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Linux distribution facts, as one table: where sshd, its unit, PAM and pam_oath are.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

One row a family of distributions, in the spirit of dev-sec's ``vars/<Distro>.yml``. preflight,
sshd_otp, the state reader (otp_state_info) and through it the disable role all read this table, so
that none of them can accept a host another refuses. A host is taken as it is found: the rows are
not chosen by the distribution's name, each fact is looked for in the order of the table (a Debian
host has ``ssh.service``, an EL host ``sshd.service``). docs/extending.md says how to add a row.
"""

from __future__ import annotations

import glob
import os
import re
import shutil


class Layout:
    """What one family of distributions ships."""

    __slots__ = ("name", "label", "password_steps", "password_step_shape", "pam_module_dirs", "sshd_paths",
                 "service_units", "pam_oath_package")

    def __init__(self, name, label, password_steps, password_step_shape, pam_module_dirs, sshd_paths, service_units,
                 pam_oath_package):
        self.name = name
        self.label = label
        # The lines of the sshd PAM stack that ask for the password (regular expressions); pam_oath goes right after.
        self.password_steps = tuple(re.compile(pattern) for pattern in password_steps)
        self.password_step_shape = password_step_shape
        # Where libpam loads a module named without a path from (globs).
        self.pam_module_dirs = tuple(pam_module_dirs)
        self.sshd_paths = tuple(sshd_paths)
        self.service_units = tuple(service_units)
        self.pam_oath_package = pam_oath_package


LAYOUTS = (
    Layout(
        name="debian", label="Debian/Ubuntu",
        password_steps=(r"^\s*@include\s+common-auth\s*$",),
        password_step_shape="@include common-auth",
        pam_module_dirs=("/lib/*/security", "/usr/lib/*/security", "/lib/security", "/usr/lib/security"),
        sshd_paths=("/usr/sbin/sshd",),
        service_units=("ssh.service",),
        pam_oath_package="libpam-oath",
    ),
    Layout(
        name="redhat", label="EL",
        password_steps=(r"^\s*-?auth\s+(substack|include)\s+(password-auth|system-auth)\b",),
        password_step_shape="auth substack password-auth",
        pam_module_dirs=("/usr/lib64/security", "/lib64/security"),
        sshd_paths=("/usr/sbin/sshd",),
        service_units=("sshd.service",),
        pam_oath_package="pam_oath from EPEL",
    ),
    Layout(
        name="suse", label="SUSE",
        password_steps=(r"^\s*-?auth\s+(substack|include)\s+common-auth\b",),
        password_step_shape="auth include common-auth",
        pam_module_dirs=("/usr/lib64/security", "/lib64/security"),
        sshd_paths=("/usr/sbin/sshd",),
        service_units=("sshd.service",),
        pam_oath_package="pam_oath",
    ),
    # Builds that put sshd elsewhere (OpenSSH from source, old layouts).
    Layout(
        name="other", label="other builds",
        password_steps=(),
        password_step_shape=None,
        pam_module_dirs=(),
        sshd_paths=("/usr/local/sbin/sshd", "/sbin/sshd"),
        service_units=(),
        pam_oath_package=None,
    ),
)

# The files the collection manages, the same on every distribution (the modules' option defaults).
DEFAULT_PATHS = {
    "usersfile": "/etc/users.oath",
    "pam_file": "/etc/pam.d/sshd",
    "sshd_config": "/etc/ssh/sshd_config",
    "dropin": "/etc/ssh/sshd_config.d/00-fleet2fa-otp.conf",
    "backup_dir": "/var/lib/fleet2fa/sshd_otp",
}
DEFAULT_PAM_MODULE = "pam_oath.so"


def _every(field):
    """The values of one field over the table, in table order, each once (read at each call: a row
    added to LAYOUTS counts at once)."""
    return tuple(dict.fromkeys(value for layout in LAYOUTS for value in getattr(layout, field)))


def password_steps():
    return _every("password_steps")


def pam_module_dirs():
    return _every("pam_module_dirs")


def sshd_paths():
    return _every("sshd_paths")


def service_units():
    return _every("service_units")


def password_step_shapes():
    """The password steps the table knows, for messages: "@include common-auth (Debian/Ubuntu), ..."."""
    return ", ".join("%s (%s)" % (layout.password_step_shape, layout.label) for layout in LAYOUTS
                     if layout.password_step_shape)


def install_hint(module=DEFAULT_PAM_MODULE):
    """How to get the PAM module on each family: "install libpam-oath on Debian/Ubuntu, ..."."""
    return "install %s" % ", ".join("%s on %s" % (layout.pam_oath_package, layout.label) for layout in LAYOUTS
                                    if layout.pam_oath_package)


def find_sshd(executable=lambda path: os.access(path, os.X_OK), which=shutil.which):
    """The sshd binary: the first of the table's paths that is there, else the one on the PATH, else None."""
    return next((path for path in sshd_paths() if executable(path)), None) or which("sshd")


def find_pam_module(module, search=None):
    """The path of a PAM module as libpam would load it, or None when it is missing."""
    if os.path.isabs(module):
        return module if os.path.isfile(module) else None
    for pattern in search or pam_module_dirs():
        for folder in sorted(glob.glob(pattern)):
            candidate = os.path.join(folder, module)
            if os.path.isfile(candidate):
                return candidate
    return None


def service_unit(run):
    """The first of the table's sshd units that systemd knows on this host, or None. ``run(argv)`` -> (rc, out, err)."""
    for unit in service_units():
        rc, out, _err = run(["systemctl", "show", "-p", "LoadState", "--value", unit])
        if rc == 0 and out.strip() == "loaded":
            return unit
    return None
