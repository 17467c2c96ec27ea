"""Creates a cron task with TaskService, waits for its first runs, prints them, and cancels the task:
the submitting side of the contract in Python.

Run (with worker.py running, after generate.sh):
    /usr/bin/python3 examples/python-worker/submit.py --address 127.0.0.1:7070
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import grpc

import stubs  # first: it puts the generated modules on the import path
from stubs import task_pb2
from stubs import task_service_pb2 as pb
from stubs import task_service_pb2_grpc as pb_grpc

FINISHED = {
    task_pb2.RUN_STATE_SUCCEEDED,
    task_pb2.RUN_STATE_FAILED,
    task_pb2.RUN_STATE_CANCELLED,
    task_pb2.RUN_STATE_TIMED_OUT,
    task_pb2.RUN_STATE_SKIPPED,
}
RPC_TIMEOUT = 10.0  # seconds
POLL_EVERY = 0.25  # seconds between ListRuns calls while waiting


def create_task(tasks: pb_grpc.TaskServiceStub, cron: str, time_zone: str) -> task_pb2.Task:
    spec = task_pb2.TaskSpec(
        type="py.echo",
        payload=stubs.json_payload({"from": "submit.py"}),
        labels={"example": "python-worker"},
        # ALLOW: every fire runs even while the one before is still waiting for a busy worker,
        # so the first fires are runs to show rather than SKIPPED by the overlap policy.
        schedule=task_pb2.Schedule(
            cron=task_pb2.CronSchedule(expression=cron, time_zone=time_zone),
            overlap_policy=task_pb2.OVERLAP_POLICY_ALLOW,
        ),
        retry_policy=task_pb2.RetryPolicy(max_attempts=3, initial_backoff=stubs.duration(1)),
    )
    task = tasks.CreateTask(pb.CreateTaskRequest(task=spec), timeout=RPC_TIMEOUT).task
    print(f"created task {task.id}: {spec.type} on cron {cron!r} in {time_zone}, next fire {stubs.iso(task.next_fire_time)}")
    return task


def print_upcoming_fires(tasks: pb_grpc.TaskServiceStub, task_id: str) -> None:
    """GetTask gives a recurring task's next fires in the schedule's own time zone."""
    upcoming = tasks.GetTask(pb.GetTaskRequest(task_id=task_id), timeout=RPC_TIMEOUT).upcoming_fires
    print("upcoming fires: " + ", ".join(f.local_time for f in upcoming[:3]))


def wait_for_runs(tasks: pb_grpc.TaskServiceStub, task_id: str, count: int, timeout: float) -> list[task_pb2.Run] | None:
    """The first `count` finished runs by scheduled time, once that many have finished; None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = tasks.ListRuns(pb.ListRunsRequest(task_id=task_id, page_size=100), timeout=RPC_TIMEOUT).runs
        finished = sorted((r for r in runs if r.state in FINISHED), key=lambda r: r.scheduled_time.ToNanoseconds())
        if len(finished) >= count:
            return finished[:count]
        time.sleep(POLL_EVERY)
    return None


def print_run(run: task_pb2.Run) -> None:
    state = task_pb2.RunState.Name(run.state).removeprefix("RUN_STATE_")
    worker = run.attempts[-1].worker_id if run.attempts else "-"
    output = json.dumps(stubs.decode_payload(run.output), sort_keys=True)
    print(f"run {run.id} {state} scheduled {stubs.iso(run.scheduled_time)} attempt {run.attempt} worker {worker} output {output}")


def cancel_task(tasks: pb_grpc.TaskServiceStub, task_id: str, reason: str) -> None:
    cancelled = tasks.CancelTask(pb.CancelTaskRequest(task_id=task_id, reason=reason), timeout=RPC_TIMEOUT)
    state = task_pb2.TaskState.Name(cancelled.task.state).removeprefix("TASK_STATE_")
    print(f"cancelled task {task_id}: {state}, {cancelled.cancelled_runs} unfinished run(s) cancelled")


def main() -> None:
    parser = argparse.ArgumentParser(description="Create a cron task for py.echo and print its first runs.")
    parser.add_argument("--address", default=os.environ.get("TASKPLANE_ADDRESS", "127.0.0.1:7070"), help="the control plane [TASKPLANE_ADDRESS or 127.0.0.1:7070]")
    parser.add_argument("--cron", default="*/2 * * * * *", help='a cron expression, 5 fields or 6 with seconds first ["*/2 * * * * *"]')
    parser.add_argument("--time-zone", default="UTC", help="an IANA time zone [UTC]")
    parser.add_argument("--runs", type=int, default=3, help="finished runs to wait for [3]")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for them [30]")
    args = parser.parse_args()

    with stubs.channel(args.address) as channel:
        tasks = pb_grpc.TaskServiceStub(channel)
        task = create_task(tasks, args.cron, args.time_zone)
        print_upcoming_fires(tasks, task.id)
        runs = wait_for_runs(tasks, task.id, args.runs, args.timeout)
        if runs is None:
            cancel_task(tasks, task.id, "submit.py timed out")
            sys.exit(f"submit.py: fewer than {args.runs} runs finished within {args.timeout:g} s; is worker.py running?")
        for run in runs:
            print_run(run)
        cancel_task(tasks, task.id, "submit.py has seen its runs")


if __name__ == "__main__":
    try:
        main()
    except grpc.RpcError as e:
        sys.exit(f"submit.py: {e.code().name}: {e.details()}")
