// A callback receiver: verifies each POST's Standard Webhooks signature, deduplicates on
// webhook-id (retries carry the same one), and hands the event on. Run it alone with
//   TASKPLANE_WEBHOOK_SECRET=whsec_… npx tsx examples/callbacks/receiver.ts
// (`taskplane dev` prints its secret), then submit with examples/callbacks/run.ts.
import http from "node:http";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { verifyWebhook, type WebhookEvent } from "@taskplane/sdk";

export async function startReceiver(secret: string, onEvent: (event: WebhookEvent) => void, port = 0): Promise<{ url: string; close(): void }> {
  const seen = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      let event: WebhookEvent;
      try {
        event = verifyWebhook(secret, req.headers, Buffer.concat(chunks));
      } catch {
        res.writeHead(401).end();
        return;
      }
      const id = String(req.headers["webhook-id"]);
      if (!seen.has(id)) {
        seen.add(id);
        onEvent(event);
      }
      res.writeHead(204).end();
    });
  });
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/taskplane`, close: () => server.close() };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const secret = process.env.TASKPLANE_WEBHOOK_SECRET;
  if (!secret) throw new Error("set TASKPLANE_WEBHOOK_SECRET to the secret `taskplane dev` printed");
  const { url } = await startReceiver(secret, (e) => console.log(`${e.type} run ${e.data.runId} attempt ${e.data.attempt}: ${JSON.stringify(e.data.output?.json ?? e.data.error)}`), 8787);
  console.log(`receiving callbacks at ${url}`);
}
