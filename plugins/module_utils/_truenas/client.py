# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The TrueNAS middleware client: one transport, the box's version and its capabilities.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

    client = MiddlewareClient(MidcltTransport(module.run_command), host="nas1")
    client.caps.profile            # "23.10"; system.version is asked once, on first use
    client.call("auth.twofactor.config")

Errors are those of ``errors.py``; their messages name the host and the version string.
``ModuleConnection`` builds a client from the options of a module (``CONNECTION_ARGSPEC``).
"""

from __future__ import annotations

from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.errors import (
    CapabilityError,
    MiddlewareError,
    scrub,
)
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.transport import (
    MidcltTransport,
    WebsocketTransport,
)
from ansible_collections.fleet2fa.nas.plugins.module_utils._truenas.version import capabilities, parse_version


class MiddlewareClient:
    """Calls into one box's middleware, with the version in every error message."""

    def __init__(self, transport, host=None):
        self.transport = transport
        self.host = host or transport.host
        self._caps = None

    @property
    def where(self):
        if self._caps is None:
            return self.host
        return "%s (%s)" % (self.host, self._caps.version.raw)

    @property
    def caps(self):
        if self._caps is None:
            raw = self.transport.call("system.version")
            self._caps = capabilities(parse_version(raw, self.host), self.host)
        return self._caps

    @property
    def version(self):
        return self.caps.version.raw

    def call(self, method, *params, **kwargs):
        """Call ``method``; ``job=True`` waits for a middleware job and returns its result."""
        caps = self.caps
        try:
            return self.transport.call(method, params, job=kwargs.get("job", False))
        except MiddlewareError as exc:
            # Re-raise the same kind of error, now naming the version as well.
            raise type(exc)("%s (%s)" % (self.host, caps.version.raw), exc.what, exc.reason, exc.errname,
                            exc.errno, method) from None

    def refuse(self, what, reason=""):
        """A ``CapabilityError`` for something we will not ask of this version."""
        return CapabilityError(self.where, what, reason)

    def close(self):
        self.transport.close()

    # Reads that every module needs -----------------------------------------------------------

    def twofactor_config(self):
        return self.call("auth.twofactor.config")

    def user(self, username):
        """The ``user.query`` entry of a local user, or a clear error when there is none."""
        users = self.call("user.query", [["username", "=", username]])
        if not users:
            raise MiddlewareError(self.where, "no local user named %s" % username)
        return users[0]

    def users(self, usernames):
        """{username: user.query entry} for local users, in one call; a clear error for any missing."""
        names = list(dict.fromkeys(usernames))
        if not names:
            return {}
        found = {u["username"]: u for u in self.call("user.query", [["username", "in", names]])}
        missing = [name for name in names if name not in found]
        if missing:
            raise MiddlewareError(self.where, "no local user named %s" % ", ".join(missing))
        return found

    def service(self, name):
        services = self.call("service.query", [["service", "=", name]])
        if not services:
            raise MiddlewareError(self.where, "no service named %s" % name)
        return services[0]

    def control_service(self, verb, name):
        """Start, stop, restart or reload a service with the verb of this version (docs/truenas.md §6)."""
        verb = verb.upper()
        if self.caps.service_control:
            return self.call("service.control", verb, name, {"ha_propagate": True, "silent": False, "timeout": 120},
                             job=True)
        if not self.caps.service_verbs:
            raise self.refuse("cannot %s %s" % (verb.lower(), name),
                              "this version has neither service.control nor public service.%s" % verb.lower())
        return self.call("service.%s" % verb.lower(), name)


# Options every TrueNAS module takes; documented in the fleet2fa.nas.truenas doc fragment.
CONNECTION_ARGSPEC = dict(
    transport=dict(type="str", default="midclt", choices=["midclt", "websocket"]),
    api_url=dict(type="str"),
    api_key=dict(type="str", no_log=True),
    api_username=dict(type="str"),
    api_validate_certs=dict(type="bool", default=True),
    api_ca_path=dict(type="path"),
    api_timeout=dict(type="int", default=30),
)

CONNECTION_REQUIRED_IF = [("transport", "websocket", ("api_url", "api_key"))]

# Where midclt is on a box besides the PATH (CORE keeps it in /usr/local/bin).
MIDCLT_DIRS = ["/usr/local/bin", "/usr/bin"]


def find_midclt(module):
    """The path of midclt on this host, or None: the one test of "is this a TrueNAS box"."""
    return module.get_bin_path("midclt", required=False, opt_dirs=MIDCLT_DIRS)


def module_client(module):
    """A ``MiddlewareClient`` for the module's connection options (logged in when remote)."""
    params = module.params
    if params["transport"] == "midclt":
        midclt = find_midclt(module)
        if not midclt:
            module.fail_json(msg="midclt was not found on %s: transport=midclt runs on the TrueNAS box itself "
                                 "(did the task run on the controller?)" % _hostname())
        return MiddlewareClient(MidcltTransport(module.run_command, midclt, _hostname()))
    from ansible_collections.fleet2fa.nas.plugins.module_utils import _deps as deps

    deps.validate(module, "websocket-client")
    transport = WebsocketTransport(params["api_url"], params["api_validate_certs"], params["api_ca_path"],
                                   params["api_timeout"])
    transport.connect()
    transport.login_with_api_key(params["api_key"], params["api_username"])
    return MiddlewareClient(transport)


def _hostname():
    import socket

    return socket.gethostname()


def run_ensure(module, ensure, names):
    """Exit (or fail) the module with ``ensure(client, check_mode, **{name: module.params[name]})``."""
    wanted = {name: module.params[name] for name in names}
    run(module, lambda client: ensure(client, module.check_mode, **wanted))


def run(module, work):
    """``work(client)`` -> result dict; every failure becomes a clean fail_json naming host and version."""
    client = None
    try:
        client = module_client(module)
        result = work(client)
        for warning in result.pop("warnings", ()):
            module.warn(warning)
        if not module._diff:
            result.pop("diff", None)
        result.setdefault("truenas_version", client.version)
        result.setdefault("profile", client.caps.profile)
        result.setdefault("transport", module.params["transport"])
    except Fleet2faError as exc:
        module.fail_json(msg=str(exc))
    except Exception as exc:  # pylint: disable=broad-except
        # An answer we did not expect: say so without a traceback, which could carry box data.
        where = client.where if client is not None else "the box"
        module.fail_json(msg="%s: unexpected %s: %s" % (where, type(exc).__name__, scrub(str(exc))))
    finally:
        if client is not None:
            client.close()
    module.exit_json(**result)
