# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jobs and their core.get_jobs events (stable/goldeye mw:job.py).

A job is added (event ADDED, state WAITING), runs (CHANGED, RUNNING), reaches 100 % (CHANGED) and
ends (CHANGED, SUCCESS or FAILED): mw:job.py:28-31, :130-160, :520-560. The simulator runs the
body at once in the calling thread, so these events go out in that order before the call's answer.
"""
import time

from .errors import CallError, ValidationError, ValidationErrors


def _now():
    # ejson encodes datetimes as {"$date": <ms since the epoch>} (truenas_api_client/ejson.py)
    return {'$date': int(time.time() * 1000)}


class Job:
    def __init__(self, store, method, arguments, sess, message_id):
        self.store = store
        self.id = None
        self.method = method
        self.arguments = arguments
        self.sess = sess
        self.message_ids = [message_id] if message_id is not None else []
        self.state = 'WAITING'
        self.result = None
        self.error = None
        self.exception = None
        self.exc = None
        self.progress = {'percent': 0, 'description': '', 'extra': None}
        self.time_started = _now()
        self.time_finished = None

    def _exc_info(self):
        """mw:job.py:624-656 (stable/goldeye): repr, type (VALIDATION for validation errors), errno,
        extra."""
        e = self.exc
        if e is None:
            return None
        if isinstance(e, ValidationErrors):
            etype, errno, extra = 'VALIDATION', None, e.extra
        elif isinstance(e, ValidationError):
            etype, errno, extra = 'VALIDATION', e.errno, [[e.attribute, e.errmsg, e.errno]]
        else:
            etype, errno, extra = 'CallError', e.errno, e.extra
        info = {'repr': repr(e), 'type': etype, 'errno': errno, 'extra': extra}
        if self.store.profile.legacy_wire == 'core':
            info.pop('repr')   # truenas/13.0-stable mw:job.py __encode__: type and extra only
            info.pop('errno')
        elif self.store.profile.rank <= 1:
            info.pop('errno')  # stable/bluefin: repr, type, extra
        return info

    def encode(self):
        """The job dict of core.get_jobs and of the events, with the fields of the era
        (truenas/13.0-stable, stable/bluefin, stable/electriceel and stable/goldeye mw:job.py)."""
        p = self.store.profile
        out = {'id': self.id}
        if p.job_message_ids:
            out['message_ids'] = list(self.message_ids)
        out.update(method=self.method, arguments=self.arguments)
        if p.legacy_wire != 'core':
            out.update(transient=False, description=None, abortable=False)
        out.update(logs_path=None, logs_excerpt=None, progress=dict(self.progress),
                   result=self.result if self.state == 'SUCCESS' else None)
        if p.rank >= 3:
            out['result_encoding_error'] = None
        out.update(error=self.error, exception=self.exception, exc_info=self._exc_info(), state=self.state,
                   time_started=self.time_started, time_finished=self.time_finished)
        if p.rank >= 3:
            creds = self.sess.credentials if self.sess else None
            out['credentials'] = {'type': creds.kind, 'data': creds.dump()} if creds else None
        return out

    def _event(self, kind):
        self.store.send_event(kind, self)

    def run(self, body):
        self.state = 'RUNNING'
        self._event('CHANGED')
        try:
            self.result = body()
        except CallError as e:
            self.exc = e
            self.error = str(e)
            self.exception = 'Traceback (most recent call last):\n%s: %s\n' % (type(e).__name__, e)
            self.state = 'FAILED'
        else:
            self.state = 'SUCCESS'
            if self.progress['percent'] != 100:
                self.progress.update(percent=100, description='')
                self.time_finished = _now()
                self._event('CHANGED')
        self.time_finished = self.time_finished or _now()
        self._event('CHANGED')


class JobStore:
    def __init__(self, profile, sessions):
        self.profile = profile
        self.sessions = sessions     # the live sessions (middleware.Middleware.sessions)
        self.jobs = {}

    def add(self, method, arguments, sess, message_id=None):
        job = Job(self, method, arguments, sess, message_id)
        job.id = len(self.jobs) + 1
        self.jobs[job.id] = job
        self.send_event('ADDED', job)
        return job

    def send_event(self, kind, job):
        """core.get_jobs events go to sessions that subscribed and may read the job: any
        authenticated full admin, or the job's own user (stable/goldeye mw:job.py:28-36)."""
        fields = job.encode()
        for sess in list(self.sessions):
            creds = sess.credentials
            if creds is None or sess.push is None:
                continue
            if not (creds.full_admin or (job.sess and job.sess.username == creds.username)):
                continue
            sess.push('core.get_jobs', kind, id=job.id, fields=fields)

    def values(self):
        return [j.encode() for j in self.jobs.values()]
