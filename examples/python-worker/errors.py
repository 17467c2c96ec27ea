"""What handlers raise and catch: one class per condition, as in the TypeScript SDK's errors.ts.

Each has an `error_type`, the RunError type the worker reports for it.
"""
from __future__ import annotations


class NonRetryableError(Exception):
    """Raise it from a handler to end the run now, whatever attempts are left.

    `error_type` is matched against the task's non-retryable error types too.
    """

    def __init__(self, message: str, error_type: str = "NonRetryableError"):
        super().__init__(message)
        self.error_type = error_type


class AttemptStopped(Exception):
    """The attempt was asked to stop: TaskContext.sleep() and raise_if_stopped() raise a subclass."""

    error_type = "AttemptStopped"


class Cancelled(AttemptStopped):
    """A user cancelled the run (the heartbeat answered cancel_requested)."""

    error_type = "Cancelled"

    def __init__(self, message: str = "the run was cancelled"):
        super().__init__(message)


class AttemptLost(AttemptStopped):
    """The attempt is no longer current (it timed out, or the server moved on); nothing is reported for it."""


class DeadlineExceeded(AttemptStopped):
    """The attempt passed its start-to-close deadline."""

    # The name the control plane's own timeout uses, so the run ends TIMED_OUT either way.
    error_type = "StartToCloseTimeout"

    def __init__(self, message: str = "the attempt passed its start-to-close deadline"):
        super().__init__(message)


class WorkerShutdown(AttemptStopped):
    """The worker is shutting down and its grace period ran out: the run retries elsewhere."""

    error_type = "WorkerShutdown"

    def __init__(self, message: str = "the worker shut down before the handler finished"):
        super().__init__(message)
