"""A Taskplane worker in Python, on the gRPC contract with Debian's grpcio.

It behaves as the TypeScript SDK's Worker does: it long-polls one queue for its handlers' task
types, runs up to `concurrency` attempts at once (a thread each), heartbeats each attempt at a third
of its heartbeat timeout, asks a handler to stop when its run is cancelled or its attempt is lost,
appends the handler's log lines in batches, reports success or failure, and drains on SIGTERM.

Run (after generate.sh): /usr/bin/python3 examples/python-worker/worker.py --address 127.0.0.1:7070
"""
from __future__ import annotations

import argparse
import logging
import math
import os
import random
import signal
import socket
import threading
import time
from typing import Any, Callable

import grpc

import stubs  # first: it puts the generated modules on the import path
from errors import AttemptLost, AttemptStopped, Cancelled, DeadlineExceeded, NonRetryableError, WorkerShutdown
from handlers import HANDLERS
from stubs import task_pb2
from stubs import worker_service_pb2 as pb
from stubs import worker_service_pb2_grpc as pb_grpc

log = logging.getLogger("taskplane.worker")

Handler = Callable[[Any, "TaskContext"], Any]

# Worth trying again after a pause: the server is restarting, overloaded, or slow to answer.
TRANSIENT = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.DEADLINE_EXCEEDED}
# The attempt is no longer current (it timed out, or the run moved on): stop it, report nothing.
STALE = {grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.NOT_FOUND}
LOG_FLUSH_SECONDS = 0.5
MAX_LOG_BATCH = 1000  # lines per AppendLogs call, the contract's limit
# The contract's limit on a log line and an error message: a longer one would get its call refused.
MAX_TEXT = 16384
REPORT_TRIES = 20  # about a minute of backoff before a result is given up (and the attempt times out)
RPC_TIMEOUT = 10.0  # seconds, for every call but PollTasks
POLL_END_GRACE = 2.0  # seconds shutdown waits for the server to answer the pending poll


def backoff(failures: int, cap: float = 10.0) -> float:
    """0.2 s, 0.4 s, 0.8 s … up to `cap`, each spread randomly over its upper half so workers do not retry in step."""
    return min(cap, 0.1 * 2**failures) * (0.5 + random.random() / 2)


class TaskContext:
    """What a handler sees of its attempt: who it is, its payload, heartbeats, logs and stop requests.

    Python cannot interrupt a thread, so stopping is cooperative: a long handler calls sleep() or
    raise_if_stopped() between steps, and they raise an AttemptStopped (Cancelled, …) when asked to stop.
    """

    def __init__(self, assignment: pb.Assignment, attempt: _Attempt):
        self.run_id: str = assignment.run_id
        self.task_id: str = assignment.task_id
        self.task_type: str = assignment.task_type
        self.attempt: int = assignment.attempt  # 1 for the first attempt
        self.max_attempts: int = assignment.max_attempts
        self.labels: dict[str, str] = dict(assignment.labels)
        self.scheduled_time = stubs.utc(assignment.scheduled_time)
        self.payload: Any = stubs.decode_payload(assignment.payload)
        # What the previous attempt last heartbeated, to resume from; None on a first attempt.
        self.last_heartbeat_details: bytes | None = assignment.heartbeat_details or None
        self._attempt = attempt

    def heartbeat(self, details: bytes | str | None = None) -> None:
        """Records progress; the next background heartbeat carries it, and a retry gets it if this attempt fails.

        Fire-and-forget: it never blocks on the server, however often it is called.
        """
        if details is not None:
            self._attempt.set_details(details.encode() if isinstance(details, str) else details)

    def log(self, message: str) -> None:
        """Appends a line to the run's log (sent in batches, the last one before the result)."""
        self._attempt.add_log(message)

    @property
    def stop_reason(self) -> AttemptStopped | None:
        """Why the attempt was asked to stop, or None while it may go on."""
        return self._attempt.stop_reason

    def raise_if_stopped(self) -> None:
        if self._attempt.stop_reason is not None:
            raise self._attempt.stop_reason

    def sleep(self, seconds: float) -> None:
        """Sleeps, or raises the stop reason as soon as the attempt is asked to stop."""
        self._attempt.stopped.wait(seconds)
        self.raise_if_stopped()


class _Attempt:
    """The runtime of one assignment: its stop request, the buffered log lines, and a watcher
    thread that heartbeats, enforces the deadline and flushes the logs."""

    def __init__(self, assignment: pb.Assignment, stub: pb_grpc.WorkerServiceStub):
        self.assignment = assignment
        self.stop_reason: AttemptStopped | None = None
        self.stopped = threading.Event()
        self._stub = stub
        self._lock = threading.Lock()  # guards stop_reason, _details and _lines
        self._details: bytes | None = None
        self._lines: list[pb.LogLine] = []
        self._finished = threading.Event()
        timeout = stubs.seconds_of(assignment.heartbeat_timeout)
        self._beat_every = max(0.05, timeout / 3) if timeout > 0 else math.inf
        # The deadline is wall-clock time from the server; count down to it on the monotonic clock.
        self._deadline = (
            time.monotonic() + assignment.deadline.ToNanoseconds() / 1e9 - time.time()
            if assignment.HasField("deadline")
            else math.inf
        )
        self._watcher = threading.Thread(target=self._watch, daemon=True, name=f"watch-{assignment.run_id}")

    def __str__(self) -> str:
        return f"run {self.assignment.run_id} attempt {self.assignment.attempt} ({self.assignment.task_type})"

    def start(self) -> None:
        self._watcher.start()

    def finish(self) -> None:
        """Stops heartbeats and sends the last log lines."""
        self._finished.set()
        self._watcher.join()
        self.flush_logs()

    def stop(self, reason: AttemptStopped) -> None:
        """Asks the handler to stop; the first reason given is the one reported."""
        with self._lock:
            if self.stop_reason is None:
                self.stop_reason = reason
        self.stopped.set()

    def set_details(self, details: bytes) -> None:
        with self._lock:
            self._details = details

    def add_log(self, message: str) -> None:
        line = pb.LogLine(time=stubs.now_timestamp(), message=message[:MAX_TEXT])
        with self._lock:
            self._lines.append(line)

    def flush_logs(self) -> None:
        with self._lock:
            lines, self._lines = self._lines, []
        a = self.assignment
        for i in range(0, len(lines), MAX_LOG_BATCH):
            batch = lines[i : i + MAX_LOG_BATCH]
            try:
                self._stub.AppendLogs(pb.AppendLogsRequest(run_id=a.run_id, attempt=a.attempt, lines=batch), timeout=RPC_TIMEOUT)
            except grpc.RpcError as e:  # logs are best effort, as in the TypeScript SDK
                log.warning("%s: %d log lines lost: %s %s", self, len(batch), e.code().name, e.details())

    def _watch(self) -> None:
        next_beat = time.monotonic() + self._beat_every
        while not self._finished.wait(min(LOG_FLUSH_SECONDS, self._beat_every)):
            now = time.monotonic()
            if now >= self._deadline:
                self.stop(DeadlineExceeded())
            # A stopped attempt is not kept alive: if its handler never returns, the lease ends it.
            if now >= next_beat and not self.stopped.is_set():
                next_beat = now + self._beat_every
                self._beat()
            self.flush_logs()

    def _beat(self) -> None:
        a = self.assignment
        with self._lock:
            details = self._details or b""  # empty keeps what the server has
        try:
            response = self._stub.Heartbeat(
                pb.HeartbeatRequest(run_id=a.run_id, attempt=a.attempt, details=details),
                timeout=max(1.0, self._beat_every),
            )
        except grpc.RpcError as e:
            if e.code() in STALE:
                # The server's message says which attempt and why.
                self.stop(AttemptLost(e.details() or f"attempt {a.attempt} of run {a.run_id} is no longer current"))
            else:  # the next beat tries again; the lease outlasts a couple of missed ones
                log.warning("%s: heartbeat failed: %s %s", self, e.code().name, e.details())
            return
        if response.cancel_requested:
            self.stop(Cancelled())


def run_error(error: BaseException) -> task_pb2.RunError:
    """The failure report for what a handler raised, or for why its attempt was stopped."""
    if isinstance(error, (NonRetryableError, AttemptStopped)):
        error_type = error.error_type
    else:
        error_type = type(error).__name__
    return task_pb2.RunError(
        type=error_type,
        message=(str(error) or error_type)[:MAX_TEXT],
        non_retryable=isinstance(error, NonRetryableError),
    )


class Worker:
    """Polls one queue for its handlers' task types and runs their attempts, `concurrency` at a time.

    States: RUNNING -> DRAINING -> STOPPED.

        worker = Worker("127.0.0.1:7070", {"email.send": send_email})
        worker.start()     # polls in a background thread
        ...
        worker.shutdown()  # stops polling, lets running attempts finish and report
    """

    def __init__(
        self,
        address: str,
        handlers: dict[str, Handler],
        *,
        queue: str = "",
        concurrency: int = 10,
        worker_id: str | None = None,
        poll_wait: float = 30.0,
        shutdown_grace: float = 10.0,
    ):
        if not handlers:
            raise ValueError("Worker: give at least one handler")
        self.handlers = dict(handlers)
        self.queue = queue
        self.concurrency = concurrency
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}"
        self.poll_wait = poll_wait
        self.shutdown_grace = shutdown_grace
        self.state = "RUNNING"
        self._channel = stubs.channel(address)
        self._stub = pb_grpc.WorkerServiceStub(self._channel)
        self._running: set[_Attempt] = set()
        self._changed = threading.Condition()  # guards state, _running and _poll
        self._poll: grpc.Future | None = None
        self._poller = threading.Thread(target=self._poll_loop, name="poller", daemon=True)

    def start(self) -> None:
        self._poller.start()

    def shutdown(self) -> None:
        """Stops polling, waits up to shutdown_grace for running attempts, then asks the rest to stop
        (WorkerShutdown, which retries the run elsewhere) and waits as long again for their reports."""
        with self._changed:
            if self.state != "RUNNING":
                return
            self.state = "DRAINING"
            self._changed.notify_all()
            poll = self._poll
        if poll is not None and not poll.done():
            self._end_poll(poll)
        self._poller.join()
        with self._changed:
            log.info("draining: %d attempt(s) running", len(self._running))
        if not self._wait_idle(self.shutdown_grace):
            with self._changed:
                left = list(self._running)
            for attempt in left:
                attempt.stop(WorkerShutdown())
            # A handler that ignores stop requests is left behind: its lease ends its attempt.
            self._wait_idle(self.shutdown_grace)
        self._channel.close()
        self.state = "STOPPED"

    def _end_poll(self, poll: grpc.Future) -> None:
        """Asks the server to answer the pending poll (ShutdownWorker) rather than cancelling it: a
        poll cancelled as its answer is on the way loses that answer, and its runs wait out their
        heartbeat timeout. Runs the answer brings are run. Cancels after POLL_END_GRACE without one."""
        try:
            self._stub.ShutdownWorker(pb.ShutdownWorkerRequest(worker_id=self.worker_id), timeout=POLL_END_GRACE)
            poll.exception(timeout=POLL_END_GRACE)
        except (grpc.RpcError, grpc.FutureTimeoutError, grpc.FutureCancelledError):
            pass
        poll.cancel()

    def _wait_idle(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: not self._running, timeout)

    def _poll_loop(self) -> None:
        failures = 0
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self.state != "RUNNING" or len(self._running) < self.concurrency)
                if self.state != "RUNNING":
                    return
                # Created under the lock, so shutdown() either sees it to cancel or is seen above.
                self._poll = self._stub.PollTasks.future(self._poll_request(), timeout=self.poll_wait + 10)
            try:
                assignments = self._poll.result().assignments
            except grpc.FutureCancelledError:  # shutdown() cancelled it
                return
            except grpc.RpcError as e:
                if self.state != "RUNNING":
                    return
                failures += 1
                self._pause_after(e, failures)
                continue
            failures = 0
            for assignment in assignments:
                self._start(assignment)

    def _poll_request(self) -> pb.PollTasksRequest:
        """Asks for as many runs as there are free slots."""
        return pb.PollTasksRequest(
            worker_id=self.worker_id,
            queue=self.queue,
            task_types=list(self.handlers),
            max_tasks=self.concurrency - len(self._running),
            wait=stubs.duration(self.poll_wait),
        )

    def _pause_after(self, error: grpc.RpcError, failures: int) -> None:
        """Backs off after a failed poll, waking early for shutdown."""
        delay = backoff(failures)
        level = logging.WARNING if error.code() in TRANSIENT else logging.ERROR
        log.log(level, "poll failed (%s: %s); retrying in %.1f s", error.code().name, error.details(), delay)
        with self._changed:
            self._changed.wait_for(lambda: self.state != "RUNNING", delay)

    def _start(self, assignment: pb.Assignment) -> None:
        attempt = _Attempt(assignment, self._stub)
        with self._changed:
            self._running.add(attempt)
        threading.Thread(target=self._run, args=(attempt,), daemon=True, name=f"run-{assignment.run_id}").start()

    def _run(self, attempt: _Attempt) -> None:
        try:
            self._execute(attempt)
        except Exception:
            log.exception("%s: failed to report", attempt)
        finally:
            with self._changed:
                self._running.discard(attempt)
                self._changed.notify_all()

    def _execute(self, attempt: _Attempt) -> None:
        """Runs the handler with heartbeats going, then reports what came of it."""
        a = attempt.assignment
        log.info("%s started", attempt)
        attempt.start()
        error: BaseException | None = None
        try:
            handler = self.handlers.get(a.task_type)
            if handler is None:
                raise NonRetryableError(f'no handler for task type "{a.task_type}"', "UnknownTaskType")
            ctx = TaskContext(a, attempt)
            result = handler(ctx.payload, ctx)
        except Exception as e:  # whatever a handler raises is its attempt's failure
            error, result = e, None
        finally:
            attempt.finish()
        stop = attempt.stop_reason
        if isinstance(stop, AttemptLost):
            log.warning("%s dropped: %s", attempt, stop)
        elif error is None and stop is None:
            self._complete(attempt, result)
        else:
            # A stop request decides the report, whatever the handler raised on its way out: the
            # control plane acts on the types Cancelled and StartToCloseTimeout.
            self._fail(attempt, run_error(stop if stop is not None else error))

    def _complete(self, attempt: _Attempt, result: Any) -> None:
        a = attempt.assignment
        request = pb.CompleteRunRequest(run_id=a.run_id, attempt=a.attempt, output=stubs.encode_result(result))
        if self._send(attempt, self._stub.CompleteRun, request) is not None:
            log.info("%s succeeded", attempt)

    def _fail(self, attempt: _Attempt, failure: task_pb2.RunError) -> None:
        a = attempt.assignment
        response = self._send(attempt, self._stub.FailRun, pb.FailRunRequest(run_id=a.run_id, attempt=a.attempt, error=failure))
        if response is not None:
            log.info("%s failed (%s: %s)%s", attempt, failure.type, failure.message, ", will retry" if response.will_retry else "")

    def _send(self, attempt: _Attempt, method: Callable[..., Any], request: Any) -> Any:
        """Sends a result until the server answers; a refusal (a stale attempt) is logged, not retried.
        Repeating a report is safe: one the server already applied is refused, changing nothing."""
        for failures in range(1, REPORT_TRIES + 1):
            try:
                return method(request, timeout=RPC_TIMEOUT)
            except grpc.RpcError as e:
                if e.code() in TRANSIENT and failures < REPORT_TRIES:
                    time.sleep(backoff(failures, cap=5.0))
                    continue
                log.warning("%s: result refused: %s %s", attempt, e.code().name, e.details())
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description="A Taskplane worker for the task types in handlers.py.")
    parser.add_argument("--address", default=os.environ.get("TASKPLANE_ADDRESS", "127.0.0.1:7070"), help="the control plane [TASKPLANE_ADDRESS or 127.0.0.1:7070]")
    parser.add_argument("--queue", default="", help="the queue to poll [default]")
    parser.add_argument("--concurrency", type=int, default=10, help="attempts run at once [10]")
    parser.add_argument("--worker-id", default=None, help="names this process in attempts [hostname-pid]")
    parser.add_argument("--poll-wait", type=float, default=30.0, help="seconds one poll waits for work [30]")
    parser.add_argument("--shutdown-grace", type=float, default=10.0, help="seconds shutdown waits for running attempts [10]")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    worker = Worker(
        args.address,
        HANDLERS,
        queue=args.queue,
        concurrency=args.concurrency,
        worker_id=args.worker_id,
        poll_wait=args.poll_wait,
        shutdown_grace=args.shutdown_grace,
    )
    # The signal handler only sets an event: the drain runs in the main thread, outside signal context.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    worker.start()
    log.info("worker %s polling %s (queue %s) for %s", worker.worker_id, stubs.target(args.address), args.queue or "default", ", ".join(HANDLERS))
    stop.wait()
    worker.shutdown()
    log.info("worker %s stopped", worker.worker_id)


if __name__ == "__main__":
    main()
