# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The MIDDLEWARE audit trail of logins and audit.query (25.04+).

Records as stable/goldeye mw:main.py:990-1044 (log_audit_message) writes them and
mw:api/v25_10_2/audit.py:49-63 (AuditQueryResultItem) reads them back: audit_id, message_timestamp,
timestamp, address, username, session, service, service_data {vers, origin, protocol,
credentials}, event, event_data, success. Logins are AUTHENTICATION events: a success carries the
credential type (LOGIN_PASSWORD, LOGIN_TWOFACTOR, API_KEY ...), a failure the error text.
"""
import time
import uuid

from .errors import ValidationErrors
from .registry import method, since
from .users_view import filter_list


def record(mw, sess, event, event_data, success):
    if not mw.profile.audit:
        return
    now = time.time()
    creds = sess.credentials
    entry = {
        'audit_id': str(uuid.uuid4()), 'message_timestamp': int(now),
        'timestamp': {'$date': int(now * 1000)},
        'address': '127.0.0.1' if sess.origin.is_unix else (sess.origin.address or ''),
        'username': creds.username if creds else 'UNAUTHENTICATED',
        'session': sess.session_id, 'service': 'MIDDLEWARE',
        'service_data': {'vers': {'major': 0, 'minor': 1}, 'origin': sess.origin.repr(), 'protocol': 'WEBSOCKET',
                         'credentials': {'credentials': creds.kind, 'credentials_data': creds.dump()}
                         if creds else None},
        'event': event, 'event_data': event_data, 'success': success,
    }
    with mw.lock:
        mw.audit.append(entry)


@method('audit.query', present=since('audit'), roles=('SYSTEM_AUDIT_READ',))
def audit_query(mw, sess, data=None):
    """audit.query({'services': [...], 'query-filters': [...], 'query-options': {...}})."""
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ValidationErrors([('data', 'Input should be a valid dictionary', 22)])
    extra = set(data) - {'services', 'query-filters', 'query-options', 'remote_controller'}
    if extra:
        raise ValidationErrors([('data.%s' % k, 'Extra inputs are not permitted', 22) for k in sorted(extra)])
    services = data.get('services', ['MIDDLEWARE'])
    rows = [e for e in mw.audit if e['service'] in services]
    return filter_list(rows, data.get('query-filters', []), data.get('query-options', {}))
