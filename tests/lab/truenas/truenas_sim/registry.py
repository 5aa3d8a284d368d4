# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Method table: name -> handler plus the per-version facts the dispatcher enforces."""
from dataclasses import dataclass
from typing import Callable, Optional

METHODS = {}


def _always(profile):
    return True


@dataclass
class Method:
    name: str
    func: Callable
    present: Callable = _always       # profile -> bool: does the version have it?
    private: Callable = None          # profile -> bool: private on this version?
    no_auth: bool = False             # callable before login (auth.login, core.ping, ...)
    no_authz: bool = False            # any authenticated session (authorization_required=False)
    rate_limit: bool = True           # no_auth methods are rate limited unless they say no
    roles: object = ()                # roles that may call it besides FULL_ADMIN: a tuple, or profile -> tuple
    job: bool = False                 # returns a job id (mw:plugins/ssh.py, mw:plugins/service.py: service.control is a job)
    removed_in: Optional[Callable] = None  # profile -> str|None, shown by core.get_methods

    def is_private(self, profile):
        return bool(self.private and self.private(profile))

    def roles_for(self, profile):
        return tuple(self.roles(profile) if callable(self.roles) else self.roles)


def method(name, **kw):
    def deco(func):
        METHODS[name] = Method(name=name, func=func, **kw)
        return func
    return deco


def since(attr):
    """present when profile.<attr> is true"""
    return lambda p: bool(getattr(p, attr))


def until(attr):
    return lambda p: not getattr(p, attr)
