"""The lab machinery behind the ``make_lab`` fixture (see tests/integration/conftest.py).

A plain module, not the conftest, so that test modules can import ``Lab`` and ``lab_name_for`` by
name: with several conftest.py files under tests/integration, ``import conftest`` finds whichever
was imported last.
"""

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FLEET = os.path.join(TOP, "tests", "lab", "fleet")
_ADHOC_OUTCOME_RE = re.compile(r"^(\S+) \| (FAILED|UNREACHABLE)!? ", re.M)


def _venv_tool(name):
    here = os.path.join(os.path.dirname(sys.executable), name)
    return here if os.access(here, os.X_OK) else (shutil.which(name) or name)


def fleet(*args, check=True):
    """Run tests/lab/fleet; return its CompletedProcess (text)."""
    res = subprocess.run([FLEET, *args], capture_output=True, text=True, check=False)
    if check and res.returncode != 0:
        raise RuntimeError("fleet %s failed (rc %d):\n%s%s" % (" ".join(args), res.returncode, res.stdout, res.stderr))
    return res


def lab_name_for(module, index=1):
    """A lab name (<= 32 chars, [a-z0-9-]) unique to a test module, given its path or dotted name."""
    base = os.path.basename(module)
    base = base[:-3] if base.endswith(".py") else base.rsplit(".", 1)[-1]
    base = re.sub(r"^test_", "", base).lower()
    base = re.sub(r"[^a-z0-9]+", "-", base).strip("-")[:16] or "t"
    digest = hashlib.sha256(module.encode()).hexdigest()[:4]
    prefix = re.sub(r"[^a-z0-9]+", "-", os.environ.get("FLEET2FA_LAB_PREFIX", "").lower()).strip("-")[:6]
    name = "-".join(p for p in (prefix, base, digest) if p)
    return name if index == 1 else "%s-%d" % (name, index)


@dataclasses.dataclass(frozen=True)
class LabHost:
    name: str
    address: str
    root_password: str
    key: str
    group: str
    truenas_version: str = None


class Lab:
    """A running lab fleet (see the module docstring)."""

    def __init__(self, name, linux=0, truenas=()):
        self.name = name
        self.linux = linux
        self.truenas = list(truenas)
        self.inventory = self.key = self.root_password = self.state_dir = self.control_dir = None
        self.hosts = []

    def up(self):
        args = ["up", "--lab", self.name, "--linux", str(self.linux)]
        if self.truenas:
            args += ["--truenas", ",".join(self.truenas)]
        fleet(*args)
        self.refresh()
        return self

    def refresh(self):
        labs = json.loads(fleet("status", "--json").stdout)
        info = next((item for item in labs if item["name"] == self.name), None)
        if not info or info["state"] != "up":
            raise RuntimeError("lab %s is not up: %s" % (self.name, info))
        self.inventory, self.key = info["inventory"], info["key"]
        self.root_password = info["root_password"]
        self.state_dir = os.path.dirname(self.inventory)
        self.control_dir = info["control_dir"]  # the lab's ssh ControlMaster sockets
        self.hosts = [LabHost(h["name"], h["address"], self.root_password, self.key, h["group"],
                              h["truenas_version"]) for h in info["hosts"]]

    def down(self):
        fleet("down", "--lab", self.name)

    def host(self, name):
        return next(h for h in self.hosts if h.name == name)

    def group(self, group):
        return [h for h in self.hosts if h.group == group]

    def _env(self, extra=None):
        env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORKS=str(max(5, len(self.hosts))),
                   ANSIBLE_DEPRECATION_WARNINGS="False")
        env.update(extra or {})
        return env

    def run_ansible(self, *args, env=None):
        return subprocess.run([_venv_tool("ansible"), "-i", self.inventory, *args], capture_output=True, text=True,
                              env=self._env(env), check=False)

    def run_playbook(self, playbook, *args, env=None):
        return subprocess.run([_venv_tool("ansible-playbook"), "-i", self.inventory, playbook, *args],
                              capture_output=True, text=True, env=self._env(env), check=False)

    def ansible(self, pattern, module, args=None, extra=()):
        """Ad-hoc ``module`` on ``pattern``; ``{host: result}`` from the core ``tree`` callback."""
        with tempfile.TemporaryDirectory(prefix="lab-tree-") as tree:
            cmd = [pattern, "-m", module, *extra]
            if args is not None:
                cmd += ["-a", args if isinstance(args, str) else json.dumps(args)]
            env = {"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1", "ANSIBLE_CALLBACKS_ENABLED": "ansible.builtin.tree",
                   "ANSIBLE_CALLBACK_TREE_DIR": tree}
            res = self.run_ansible(*cmd, env=env)
            results = {}
            for name in os.listdir(tree):
                with open(os.path.join(tree, name), encoding="utf-8") as fh:
                    results[name] = json.load(fh)
            if not results:
                raise RuntimeError("ansible gave no result:\n%s%s" % (res.stdout, res.stderr))
            # The tree callback of ansible-core 2.19+ stores a failed result without its ``failed``
            # flag; the ad-hoc output still marks each host's outcome.
            for host, outcome in _ADHOC_OUTCOME_RE.findall(res.stdout):
                if host in results:
                    results[host]["unreachable" if outcome == "UNREACHABLE" else "failed"] = True
            return results
