"""The generated Taskplane modules (from generate.sh) and the helpers worker.py and submit.py share."""
from __future__ import annotations

import json
import os
import sys
from datetime import datetime, timedelta, timezone
from typing import Any

import grpc

GEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gen")
if not os.path.isdir(os.path.join(GEN, "taskplane")):
    sys.exit(f"{GEN} is missing: run `bash {os.path.dirname(GEN)}/generate.sh` first")
sys.path.insert(0, GEN)

from google.protobuf.duration_pb2 import Duration  # noqa: E402
from google.protobuf.timestamp_pb2 import Timestamp  # noqa: E402
from taskplane.v1 import task_pb2, task_service_pb2, task_service_pb2_grpc  # noqa: E402
from taskplane.v1 import worker_service_pb2, worker_service_pb2_grpc  # noqa: E402

__all__ = ["task_pb2", "task_service_pb2", "task_service_pb2_grpc", "worker_service_pb2", "worker_service_pb2_grpc"]

JSON = "application/json"


def target(address: str) -> str:
    """A gRPC target from an address as the TypeScript SDK takes it: "http://127.0.0.1:7070" -> "127.0.0.1:7070"."""
    for scheme in ("http://", "https://"):
        if address.startswith(scheme):
            address = address[len(scheme):]
    return address.rstrip("/")


class _BearerToken(grpc.UnaryUnaryClientInterceptor):
    """Sends `authorization: Bearer <token>` with every call, as the TypeScript SDK does."""

    def __init__(self, token: str):
        self._metadata = (("authorization", f"Bearer {token}"),)

    def intercept_unary_unary(self, continuation, client_call_details, request):
        metadata = tuple(client_call_details.metadata or ()) + self._metadata
        return continuation(client_call_details._replace(metadata=metadata), request)


def channel(address: str) -> grpc.Channel:
    """A channel to the control plane, carrying TASKPLANE_TOKEN when it is set (`taskplane dev` prints one)."""
    plain = grpc.insecure_channel(target(address))
    token = os.environ.get("TASKPLANE_TOKEN")
    return grpc.intercept_channel(plain, _BearerToken(token)) if token else plain


def json_payload(value: Any) -> task_pb2.Payload:
    return task_pb2.Payload(data=json.dumps(value).encode(), content_type=JSON)


def decode_payload(payload: task_pb2.Payload) -> Any:
    """As the TypeScript SDK decodes: JSON when the content type says so (or is empty and the bytes
    parse), text when JSON does not parse, else the raw bytes; None when empty."""
    if not payload.data:
        return None
    if payload.content_type not in (JSON, ""):
        return payload.data
    try:
        return json.loads(payload.data)
    except ValueError:
        return payload.data.decode(errors="replace") if payload.content_type == JSON else payload.data


def encode_result(value: Any) -> task_pb2.Payload | None:
    """A handler's return value as an output: bytes as they are, None as nothing, anything else as JSON."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        return task_pb2.Payload(data=bytes(value), content_type="application/octet-stream")
    return json_payload(value)


def duration(seconds: float) -> Duration:
    d = Duration()
    d.FromTimedelta(timedelta(seconds=seconds))
    return d


def seconds_of(d: Duration) -> float:
    return d.ToNanoseconds() / 1e9


def now_timestamp() -> Timestamp:
    t = Timestamp()
    t.GetCurrentTime()
    return t


def iso(t: Timestamp) -> str:
    """An ISO 8601 UTC time with milliseconds, as JavaScript's toISOString() writes it."""
    dt = t.ToDatetime(tzinfo=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def utc(t: Timestamp) -> datetime:
    return t.ToDatetime(tzinfo=timezone.utc)
