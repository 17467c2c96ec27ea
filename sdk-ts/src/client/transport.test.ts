// The retry interceptor: transient codes are retried with backoff, others fail at once.
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, ConnectError, createClient, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { TaskService } from "@taskplane/proto/taskplane/v1/task_service_pb.js";
import { afterEach, describe, expect, it } from "vitest";
import { createTransport } from "./transport.js";

const servers: http2.Http2Server[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.close()));

/** A TaskService whose GetTask fails with the given codes in turn, then succeeds. */
async function serve(failures: Code[]): Promise<{ address: string; calls: () => number }> {
  let calls = 0;
  const routes = (router: ConnectRouter) =>
    router.service(TaskService, {
      async getTask(req) {
        const code = failures[calls++];
        if (code !== undefined) throw new ConnectError("not now", code);
        return { task: { id: req.taskId } };
      },
    });
  const server = http2.createServer(connectNodeAdapter({ routes }));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { address: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls: () => calls };
}

const retry = { maxAttempts: 4, initialBackoffMs: 1, maxBackoffMs: 5 };

describe("retry interceptor", () => {
  it("retries UNAVAILABLE and RESOURCE_EXHAUSTED until the call succeeds", async () => {
    const server = await serve([Code.Unavailable, Code.ResourceExhausted, Code.Unavailable]);
    const client = createClient(TaskService, createTransport({ address: server.address, retry }));
    const { task } = await client.getTask({ taskId: "t1" });
    expect(task!.id).toBe("t1");
    expect(server.calls()).toBe(4);
  });

  it("gives up after maxAttempts with the last error", async () => {
    const server = await serve([Code.Unavailable, Code.Unavailable, Code.Unavailable, Code.Unavailable, Code.Unavailable]);
    const client = createClient(TaskService, createTransport({ address: server.address, retry }));
    const err = await client.getTask({ taskId: "t1" }).catch((e) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.Unavailable);
    expect(server.calls()).toBe(4);
  });

  it("does not retry other codes", async () => {
    const server = await serve([Code.InvalidArgument]);
    const client = createClient(TaskService, createTransport({ address: server.address, retry }));
    const err = await client.getTask({ taskId: "t1" }).catch((e) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.InvalidArgument);
    expect(server.calls()).toBe(1);
  });
});

describe("several addresses", () => {
  it("fails over from a replica that is down to the next, and stays there", async () => {
    const live = await serve([]);
    const down = "http://127.0.0.1:1"; // nothing listens on port 1
    const client = createClient(TaskService, createTransport({ address: [down, live.address], retry: { ...retry, maxAttempts: 1 } }));
    expect((await client.getTask({ taskId: "t1" })).task!.id).toBe("t1");
    expect((await client.getTask({ taskId: "t2" })).task!.id).toBe("t2");
    expect(live.calls()).toBe(2);
  });

  it("does not fail over on an answer that is not UNAVAILABLE", async () => {
    const first = await serve([Code.NotFound]);
    const second = await serve([]);
    const client = createClient(TaskService, createTransport({ address: [first.address, second.address], retry }));
    const err = await client.getTask({ taskId: "t1" }).catch((e) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.NotFound);
    expect(second.calls()).toBe(0);
  });
});
