# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""JMESPath over fleet data, with two date functions: ``age_days(ts)`` and ``now()``.

PRIVATE to the collection fleet2fa.nas: other collections and playbooks must not import it.

Dates in the escrow and the report are ISO 8601 UTC strings (``2026-11-28T17:09:08Z``); JMESPath has
no date arithmetic, so ``age_days`` turns one into whole days since then, and the report also
carries precomputed ``age_days`` fields. Input is made plain JSON types first: jmespath checks
argument types by exact class name, and ansible-core hands plugins str and dict subclasses.
"""

from __future__ import annotations

import datetime

from ansible_collections.fleet2fa.nas.plugins.module_utils import _deps as deps
from ansible_collections.fleet2fa.nas.plugins.module_utils._errors import Fleet2faError
from ansible_collections.fleet2fa.nas.plugins.plugin_utils._common import parse_timestamp, plain, utcnow

with deps.declare("jmespath", reason="to evaluate JMESPath expressions"):
    import jmespath
    import jmespath.exceptions
    import jmespath.functions


class QueryError(Fleet2faError):
    """A bad expression or a failed evaluation; the message names the expression."""


def age_days(value, now=None):
    """Whole days since ``value`` (an ISO 8601 timestamp), or None."""
    stamp = parse_timestamp(value)
    if stamp is None:
        return None
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return (now - stamp).days


if not deps.missing("jmespath"):

    class _FleetFunctions(jmespath.functions.Functions):
        @jmespath.functions.signature({"types": ["string", "null"]})
        def _func_age_days(self, value):
            return age_days(value)

        @jmespath.functions.signature()
        def _func_now(self):
            return utcnow()

    _OPTIONS = jmespath.Options(custom_functions=_FleetFunctions())


def compile_expression(expression):
    """The parsed expression, or QueryError naming it and the problem."""
    deps.require("jmespath")
    if not isinstance(expression, str) or not expression.strip():
        raise QueryError("the JMESPath expression must be a non-empty string")
    expression = str(expression)
    try:
        return jmespath.compile(expression)
    except jmespath.exceptions.ParseError as exc:
        raise QueryError(
            "invalid JMESPath expression %r: %s at column %s (token %r)"
            % (expression, exc.msg, exc.lex_position, exc.token_value)
        ) from None
    except jmespath.exceptions.JMESPathError as exc:
        raise QueryError("invalid JMESPath expression %r: %s" % (expression, exc)) from None


def search(expression, data, compiled=None):
    """Evaluate ``expression`` (or its ``compiled`` form) over ``data``; QueryError on a bad expression or a failed evaluation."""
    compiled = compiled or compile_expression(expression)
    try:
        return compiled.search(plain(data), options=_OPTIONS)
    except jmespath.exceptions.JMESPathError as exc:
        raise QueryError("JMESPath expression %r failed: %s" % (str(expression), exc)) from None
