// TLS on the API port: HTTP/2 and HTTP/1.1 by ALPN with a real certificate, refused to clients that
// do not trust it or speak plaintext, and mutual TLS when a client CA is configured.
import https from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskplaneClient } from "@taskplane/sdk";
import { makeCertificates, type TestCertificates } from "./harness/certificates.js";
import { startTestControlPlane, type TestControlPlane } from "./harness/control-plane.js";
import { ConnectError } from "@taskplane/sdk";

/** Why a call failed, or undefined when it succeeded. */
const failure = (call: Promise<unknown>) => call.then(() => undefined, (e: unknown) => ConnectError.from(e).message);

const noRetry = { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 };

/** A Connect JSON call over HTTPS/1.1, answering the status code. */
function postJson(url: string, ca: Buffer, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: "POST", ca, headers: { "content-type": "application/json" } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

describe("TLS", () => {
  let certs: TestCertificates;
  let tls: TestControlPlane;
  let mtls: TestControlPlane;

  beforeAll(async () => {
    certs = await makeCertificates();
    tls = await startTestControlPlane({}, { config: { tls: { cert: certs.serverCert, key: certs.serverKey } }, clientTls: { ca: certs.ca } });
    mtls = await startTestControlPlane(
      {},
      { config: { tls: { cert: certs.serverCert, key: certs.serverKey, clientCa: certs.ca } }, clientTls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } },
    );
  });
  afterAll(async () => {
    await tls.stop();
    await mtls.stop();
    await certs.remove();
  });

  it("serves gRPC over HTTP/2 and Connect over HTTP/1.1 with its certificate", async () => {
    expect(tls.address).toMatch(/^https:/);
    const { task } = await tls.client.createTask({ type: "over.tls", schedule: { kind: { case: "manual", value: {} } } });
    expect((await tls.client.get(task!.id)).id).toBe(task!.id);
    expect(await postJson(`${tls.address}/taskplane.v1.TaskService/ListTasks`, certs.ca, { pageSize: 1 })).toBe(200);
  });

  it("is refused by clients that do not trust the certificate, and refuses plaintext", async () => {
    const untrusting = new TaskplaneClient({ address: tls.address, retry: noRetry });
    expect(await failure(untrusting.list({}))).toMatch(/certificate/i);
    const plaintext = new TaskplaneClient({ address: tls.address.replace("https:", "http:"), retry: noRetry });
    expect(await failure(plaintext.list({}))).toBeDefined();
  });

  it("with a client CA, serves only clients with a certificate it signed", async () => {
    expect((await mtls.client.list({})).tasks).toBeDefined();
    const anonymous = new TaskplaneClient({ address: mtls.address, tls: { ca: certs.ca }, retry: noRetry });
    expect(await failure(anonymous.list({}))).toMatch(/certificate/i);
    const selfMade = await makeCertificates();
    try {
      const stranger = new TaskplaneClient({ address: mtls.address, tls: { ca: certs.ca, cert: selfMade.clientCert, key: selfMade.clientKey }, retry: noRetry });
      // Under TLS 1.3 the client's certificate is checked after the handshake: the server ends the stream.
      expect(await failure(stranger.list({}))).toMatch(/certificate|unknown ca|stream closed/i);
    } finally {
      await selfMade.remove();
    }
  });
});
