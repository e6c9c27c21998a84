"""What `manage.py qcluster` does for the product, in one thread of the test process.

Tasks travel the real way: the product enqueues them on commit into the configured django-q broker
(the ORM queue in tests), and this worker takes them off it and runs the real entry points in
inbox.tasks (deliver_message, sync_account, mark_chat_read_remote …). Each tick it also dispatches due
accounts, as the scheduled dispatch_sync would. A thread instead of a qcluster subprocess: no process
start-up on a busy two-core machine, the same test database connection settings, and failures of
tasks are collected for the test to assert on instead of vanishing into a log.
"""

import threading
import traceback
from typing import Any

from django.db import connections
from django.utils.module_loading import import_string
from django_q.brokers import Broker, get_broker
from django_q.signing import SignedPackage

from inbox import sync

MAXIMUM_TASKS_PER_TICK = 50


class QueueWorker:
    def __init__(self, *, tick: float = 0.2) -> None:
        self.tick = tick
        self.finished: list[tuple[str, Any]] = []
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="queue-worker", daemon=True)

    def start(self) -> "QueueWorker":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=30)
        assert not self._thread.is_alive(), "the queue worker did not stop"

    def finished_names(self) -> list[str]:
        with self._lock:
            return [name for name, _result in self.finished]

    def _run(self) -> None:
        broker = get_broker()
        try:
            while not self._stopping.is_set():
                try:
                    self._run_once(broker)
                except Exception:
                    with self._lock:
                        self.errors.append(traceback.format_exc())
                self._stopping.wait(self.tick)
        finally:
            # The test database is flushed after the test: leave no connection of this thread open.
            connections.close_all()

    def _run_once(self, broker: Broker) -> None:
        # Like `manage.py dispatcher`: due accounts are reserved and handed over once.
        sync.sync_dispatch()
        # dequeue() hands out Q_CLUSTER["bulk"] tasks (one by default) and sleeps for the poll
        # interval when the queue is empty: ask first, and drain what is there now.
        for _round in range(MAXIMUM_TASKS_PER_TICK):
            if self._stopping.is_set() or not broker.queue_size():
                return
            self._run_queued(broker)

    def _run_queued(self, broker: Broker) -> None:
        for task_id, payload in broker.dequeue() or []:
            task = SignedPackage.loads(payload)
            function = import_string(task["func"]) if isinstance(task["func"], str) else task["func"]
            try:
                result = function(*task["args"], **task.get("kwargs", {}))
            except Exception:
                with self._lock:
                    self.errors.append(f"{task['name']}: {traceback.format_exc()}")
            else:
                with self._lock:
                    self.finished.append((task["name"], result))
            broker.acknowledge(task_id)
