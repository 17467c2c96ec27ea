"""The example's task types. A handler takes the decoded payload and a TaskContext; what it returns
is the run's output (JSON), and what it raises is the attempt's failure."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from errors import AttemptStopped, NonRetryableError

if TYPE_CHECKING:
    from worker import Handler, TaskContext


class TransientError(Exception):
    """A failure worth retrying: reported with its class name as the error type."""


def echo(payload: Any, ctx: TaskContext) -> dict[str, Any]:
    """Returns its payload."""
    ctx.log(f"echoing {payload!r} on attempt {ctx.attempt}")
    return {"echo": payload, "attempt": ctx.attempt, "language": "python"}


def flaky(payload: Any, ctx: TaskContext) -> dict[str, Any]:
    """Fails its first attempt with a retryable error, so the retry shows in the run's attempts."""
    ctx.log(f"attempt {ctx.attempt} of {ctx.max_attempts}")
    if ctx.attempt == 1:
        raise TransientError("the first attempt always fails")
    return {"succeeded_on_attempt": ctx.attempt}


def strict(payload: Any, ctx: TaskContext) -> dict[str, Any]:
    """Refuses bad input without retrying, whatever attempts are left."""
    if not (isinstance(payload, dict) and payload.get("ok")):
        raise NonRetryableError("payload.ok must be true", "InvalidInput")
    return {"valid": True}


def slow(payload: Any, ctx: TaskContext) -> dict[str, Any]:
    """Works in steps, heartbeating its progress (a retry resumes from it) and stopping when asked.

    Payload: {"steps": 10, "step_seconds": 0.5}
    """
    payload = payload or {}
    steps = int(payload.get("steps", 10))
    step_seconds = float(payload.get("step_seconds", 0.5))
    done = 0
    if ctx.last_heartbeat_details:  # a previous attempt got this far: "step 3/10"
        done = int(ctx.last_heartbeat_details.decode().removeprefix("step ").split("/")[0])
        ctx.log(f"resuming after step {done}/{steps}")
    for step in range(done + 1, steps + 1):
        try:
            ctx.sleep(step_seconds)
        except AttemptStopped as stop:
            ctx.log(f"stopped before step {step}/{steps}: {type(stop).__name__}")
            raise
        ctx.heartbeat(f"step {step}/{steps}")
        ctx.log(f"step {step}/{steps}")
    return {"steps": steps, "resumed_after": done}


HANDLERS: dict[str, Handler] = {
    "py.echo": echo,
    "py.flaky": flaky,
    "py.strict": strict,
    "py.slow": slow,
}
