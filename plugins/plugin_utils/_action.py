# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The bases of the collection's action plugins and lookups.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

community.crypto's plugin_utils/_action_module.py idea, shaped to this collection: a plugin says what
it takes and what it does; the base validates the task, opens the escrow, keeps secrets out of
results and turns the collection's errors (``Fleet2faError``) into clean failures.

- ``EscrowAction``: controller-only actions of the ``escrow`` action group. ``ARGSPEC`` holds their
  own options (the ``escrow`` option is merged in); ``run_escrow(args, host, task_vars)`` returns the
  result's fields; ``self.store`` is the escrow, opened on first use.
- ``HostModuleAction``: actions that run the module of their name where the task runs (preflight,
  sshd_otp, truenas_user_2fa). ``ARGSPEC`` is the module's own spec (it lives in module_utils, so that
  the module and its action check the same thing); the module gets the task's arguments as written,
  without ``ACTION_ONLY``.
- ``EscrowLookup``: lookups that read the escrow; ``lookup(store, host)`` answers one term.

Every login proof asks ``ssh_target()`` where to dial, so that all of them dial the same address
for the same host.
"""

from __future__ import annotations

import contextlib

from ansible.errors import AnsibleActionFail, AnsibleError, AnsibleLookupError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.validation import check_type_dict, check_type_list
from ansible.module_utils.errors import UnsupportedError
from ansible.plugins.action import ActionBase
from ansible.plugins.lookup import LookupBase

from ansible_collections.fleet2fa.nas.plugins.module_utils import _escrow_spec
from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.registry import open_escrow
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._escrow.store import EscrowError


@contextlib.contextmanager
def failing_as(error_class=AnsibleActionFail):
    """Turn the collection's errors into Ansible's, keeping their (secret-free) messages, dropping tracebacks."""
    try:
        yield
    except Fleet2faError as exc:
        raise error_class(str(exc)) from None


def open_store(loader, escrow):
    """The store of validated ``escrow`` options, with the play's vault secrets and folder.

    ``_vault.secrets`` is a private attribute of ansible-core's DataLoader (there is no public way to
    the play's vault secrets); this is the one place of the collection that reads it.
    """
    return open_escrow(escrow, vault_secrets=loader._vault.secrets, basedir=loader.get_basedir())


def checked_escrow(value):
    """``value`` checked against the ``escrow`` option's spec, defaults filled in (lookups have no argspec)."""
    validation = ArgumentSpecValidator(_escrow_spec.ARGSPEC).validate({"escrow": value})
    if validation.error_messages:
        raise EscrowError("escrow: %s" % "; ".join(
            ("Unsupported parameters: %s" if isinstance(error, UnsupportedError) else "%s") % error
            for error in validation.errors.errors))
    return validation.validated_parameters["escrow"]


def _as_dict(value):
    """``value`` as Ansible's ``type: dict`` reads it (a dict, JSON or key=value text), or None when it cannot."""
    if isinstance(value, dict):
        return value
    try:
        return check_type_dict(value)
    except (TypeError, ValueError):
        return None


def _kind(value):
    """What a value is, in the words of a message (not Python's class names, which 2.19+ tags)."""
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, (list, tuple)):
        return "a list"
    return "a %s" % type(value).__name__


def shape_problem(spec, params, prefix=""):
    """The first option of ``params`` that should be a dictionary (or a list of them) and is not, as a message.

    ansible-core's own message for these ("dictionary requested, could not parse JSON or key=value")
    names no option. The value is never shown: it may hold a secret.
    """
    for name, option in spec.items():
        value = params.get(name) if isinstance(params, dict) else None
        if value is None:
            continue
        label = prefix + name
        keys = " (%s)" % ", ".join(sorted(option["options"])) if option.get("options") else ""
        if option.get("type") == "list" and option.get("elements") == "dict":
            try:
                items = value if isinstance(value, list) else check_type_list(value)
            except TypeError:
                return "%s must be a list of dictionaries%s, got %s" % (label, keys, _kind(value))
            for index, item in enumerate(items):
                found = _as_dict(item)
                if found is None:
                    what = "a string" if isinstance(value, str) else "%s at index %d" % (_kind(item), index)
                    return "%s must be a list of dictionaries%s, got %s" % (label, keys, what)
                inner = shape_problem(option.get("options") or {}, found, "%s[%d]." % (label, index))
                if inner:
                    return inner
        elif option.get("type") == "dict":
            found = _as_dict(value)
            if found is None:
                return "%s must be a dictionary%s, got %s" % (label, keys, _kind(value))
            inner = shape_problem(option.get("options") or {}, found, label + ".")
            if inner:
                return inner
    return None


class CollectionAction(ActionBase):
    """What every action plugin of the collection has."""

    TRANSFERS_FILES = False
    # The options the action checks, and the spec's rules (required_if, ...), as ArgumentSpecValidator takes them.
    ARGSPEC = {}
    ARGSPEC_RULES = {}

    def validated_args(self, argument_spec=None):
        """The task's arguments checked against ``ARGSPEC`` (or ``argument_spec``), defaults filled in."""
        problem = shape_problem(argument_spec or self.ARGSPEC, self._task.args)
        if problem:
            raise AnsibleActionFail(problem + "; nothing was changed")
        dummy, args = self.validate_argument_spec(argument_spec=argument_spec or self.ARGSPEC, **self.ARGSPEC_RULES)
        return args

    def connection_option(self, name):
        """An option of the task's connection as it dials, or None where the connection has no such option."""
        try:
            value = self._connection.get_option(name)
        except (AttributeError, KeyError, AnsibleError):
            return None
        return None if value in (None, "") else value

    def ssh_target(self, task_vars, address=None, port=None):
        """(address, port) that a login proof dials from the controller.

        What the task names, else where Ansible's connection goes (``ansible_host``, ``ansible_ssh_host``
        ... as the connection plugin resolves them), else ``ansible_host`` and ``ansible_port``, else the
        inventory name and 22. Every proof of the collection asks this one method.
        """
        host = address or self.connection_option("host") or task_vars.get("ansible_host") \
            or task_vars["inventory_hostname"]
        port = self._named_port(task_vars, port) or 22
        return str(self._templar.template(host)), int(self._templar.template(port))

    def ssh_port_given(self, task_vars, port=None):
        """Whether the task or Ansible's connection names the port; else a proof's route takes the one
        OpenSSH would (``ssh -G``: ~/.ssh/config, or 22)."""
        return bool(self._named_port(task_vars, port))

    def _named_port(self, task_vars, port=None):
        return port or self.connection_option("port") or task_vars.get("ansible_port")

    def open_store(self, escrow):
        """The escrow store of the validated ``escrow`` option."""
        return open_store(self._loader, escrow)


class EscrowAction(CollectionAction):
    """A controller-only action of the ``escrow`` action group."""

    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = self.validated_args(dict(self.ARGSPEC, **_escrow_spec.ARGSPEC))
        self._escrow = args.pop("escrow")
        self._store = None
        with failing_as():
            result.update(self.run_escrow(args, task_vars["inventory_hostname"], task_vars))
        return result

    @property
    def store(self):
        """The escrow, opened on first use (a name check that fails first never logs in to OpenBao)."""
        if self._store is None:
            self._store = self.open_store(self._escrow)
        return self._store

    def run_escrow(self, args, host, task_vars):
        """The result's fields for ``args`` (validated, without ``escrow``) on inventory host ``host``."""
        raise NotImplementedError


class HostModuleAction(CollectionAction):
    """An action that checks its task, then runs the module ``MODULE`` where the task runs."""

    MODULE = None
    # Options the action consumes and the module never gets.
    ACTION_ONLY = ()

    def module_args(self, **extra):
        """The task's arguments as written (paths are the host's: nothing is expanded here), minus ``ACTION_ONLY``."""
        args = {name: value for name, value in self._task.args.items() if name not in self.ACTION_ONLY}
        args.update(extra)
        return args

    def execute(self, module_args, task_vars):
        return self._execute_module(module_name=self.MODULE, module_args=module_args, task_vars=task_vars)

    def execute_quietly(self, module_args, task_vars):
        """Run the module under no_log whatever the task says, and drop its invocation.

        For modules whose arguments or raw result carry a secret (sealed or not): the connection plugin
        prints a module's raw output at -vvvv.
        """
        task_no_log = self._task.no_log
        self._task.no_log = True
        try:
            raw = self.execute(module_args, task_vars)
        finally:
            self._task.no_log = task_no_log
        for name in ("invocation", "_ansible_no_log"):
            raw.pop(name, None)
        return raw

    def restore(self, module_args, handle, task_vars):
        """Have the module put back what its run with rollback handle ``handle`` changed."""
        return self.execute_quietly(dict(module_args, rollback="restore", rollback_handle=handle), task_vars)

    def discard(self, module_args, handle, task_vars):
        """Have the module delete the backup behind ``handle``: what it changed stays."""
        return self.execute_quietly(dict(module_args, rollback="discard", rollback_handle=handle), task_vars)


class EscrowLookup(LookupBase):
    """A lookup that reads the escrow: its ``escrow`` option checked, the store opened, one answer a term."""

    def run(self, terms, variables=None, **kwargs):
        problem = shape_problem(_escrow_spec.ARGSPEC, kwargs)
        if problem:
            # Before set_options: its own message shows the value, which may hold a token.
            raise AnsibleLookupError(problem)
        self.set_options(var_options=variables, direct=kwargs)
        with failing_as(AnsibleLookupError):
            store = open_store(self._loader, checked_escrow(self.get_option("escrow")))
            return [self.lookup(store, str(term)) for term in terms]

    def lookup(self, store, host):
        """The answer for inventory host ``host``."""
        raise NotImplementedError
