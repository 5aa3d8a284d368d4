# Copyright: (c) 2026, fleet2fa.nas developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What both websocket protocols share: running a call off the event loop, the fail delays the
middleware sleeps after a refused login, and the traceback object of an error."""
import asyncio
import time
import traceback


class Wire:
    """One connection's protocol. ``send(message)`` may be called from any thread: it queues the
    message for the connection's writer, so answers and events leave in the order they are made."""

    def __init__(self, mw, sess, send):
        self.mw, self.sess, self.send = mw, sess, send
        self.tasks = set()
        sess.push = self.push

    def spawn(self, coro):
        """Each call runs as its own task, as the middleware's create_task does, so a slow call does
        not hold back the next message."""
        task = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def run(self, fn, *args):
        loop = asyncio.get_running_loop()
        # Calls run in a thread: PAM (26) and fail delays block; the loop keeps answering.
        return await loop.run_in_executor(None, self._timed, fn, args)

    def _timed(self, fn, args):
        try:
            return fn(*args)
        finally:
            delay, self.sess.fail_delay = getattr(self.sess, 'fail_delay', 0), 0
            if delay:
                time.sleep(delay)

    def push(self, name, kind, **kwargs):
        """An event for a subscribed session (stable/goldeye mw:api/base/server/ws_handler/rpc.py:
        159-182): sent only when the session subscribed to ``name`` or to ``*``."""
        if not any(sub in (name, '*') for sub in self.sess.subscriptions.values()):
            return
        self.send_event(name, kind, kwargs)

    def send_event(self, name, kind, kwargs):
        raise NotImplementedError

    @staticmethod
    def event(name, kind, kwargs):
        """The event both protocols send (stable/goldeye mw:api/base/server/ws_handler/rpc.py:
        169-182, mw:apps/websocket_app.py:254-266): msg, collection, id, fields, extra."""
        event = {'msg': kind.lower(), 'collection': name}
        kwargs = dict(kwargs)
        if 'id' in kwargs:
            event['id'] = kwargs.pop('id')
        if kind in ('ADDED', 'CHANGED') and 'fields' in kwargs:
            event['fields'] = kwargs.pop('fields')
        if kwargs:
            event['extra'] = kwargs
        return event

    def trace(self, exc):
        """mw:api/base/server/ws_handler/rpc.py:103-121: class, frames (not on stable/26),
        formatted, repr (not on truenas/13.0-stable)."""
        cls = getattr(exc, 'real_class', type(exc).__name__)
        # [sim] the frames are the simulator's; the last line names the middleware's class
        lines = traceback.format_exception(type(exc), exc, exc.__traceback__)[:-1]
        lines.append('%s.%s: %s\n' % (getattr(exc, 'real_module', 'builtins'), cls, exc))
        formatted = ''.join(lines)
        out = {'class': cls}
        if self.mw.profile.trace_frames:
            out['frames'] = [{'filename': f.filename, 'lineno': f.lineno, 'method': f.name, 'line': f.line,
                              'argspec': [], 'locals': {}}
                             for f in traceback.extract_tb(exc.__traceback__)]
        out['formatted'] = formatted
        if self.mw.profile.legacy_wire != 'core':
            out['repr'] = exc.real_repr() if hasattr(exc, 'real_repr') else repr(exc)
        return out
