// A local HTTP server standing in for a callback receiver: it records every request and answers
// what the test scripts per path (204 by default).
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedWebhook {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface WebhookReceiver {
  url(path: string): string;
  received: ReceivedWebhook[];
  /** Answers for a path, used in order; the last one repeats. */
  answer(path: string, ...answers: Answer[]): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(host = "127.0.0.1"): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const scripts = new Map<string, Answer[]>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: Date.now() });
      const script = scripts.get(path) ?? [];
      const answer = (script.length > 1 ? script.shift() : script[0]) ?? { status: 204 };
      res.writeHead(answer.status, answer.headers).end(answer.body);
    });
  });
  server.listen(0, host);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://${host}:${port}${path}`,
    received,
    answer: (path, ...answers) => scripts.set(path, answers),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
