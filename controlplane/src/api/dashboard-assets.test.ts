// The /ui file server on a real HTTP server over a scratch build: types, caching, SPA fallback, and
// nothing outside the build directory.
import http from "node:http";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withDashboard } from "./dashboard-assets.js";

describe("dashboard assets", () => {
  let dir: string;
  let server: http.Server;
  let base: string;
  const script = `console.log(${JSON.stringify("x".repeat(4000))});`;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "taskplane-ui-"));
    await mkdir(path.join(dir, "dist", "assets"), { recursive: true });
    await writeFile(path.join(dir, "dist", "index.html"), "<!doctype html><title>t</title>");
    await writeFile(path.join(dir, "dist", "assets", "index-abc123.js"), script);
    await writeFile(path.join(dir, "dist", "assets", "index-abc123.css"), "body{}");
    await writeFile(path.join(dir, "secret.txt"), "outside the build");
    server = http.createServer(withDashboard((_req, res) => (res as http.ServerResponse).writeHead(418).end("api"), path.join(dir, "dist")));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  /** A raw GET (fetch would normalise "..", and would gunzip). */
  const get = (urlPath: string, headers: Record<string, string> = {}, method = "GET") =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const req = http.request(`${base}${urlPath}`, { method, headers, path: urlPath }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on("error", reject);
      req.end();
    });

  it("serves index.html uncached at /ui/ and for the app's own routes, and redirects /ui", async () => {
    for (const p of ["/ui/", "/ui/tasks", "/ui/tasks/0b5e3c7a-1f2d-4c3b-9a8e-7d6c5b4a3f21?run=x"]) {
      const res = await get(p);
      expect(res.status, p).toBe(200);
      expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(res.headers["cache-control"]).toBe("no-cache");
      expect(res.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
      expect(res.body.toString()).toContain("<title>t</title>");
    }
    const redirect = await get("/ui?x=1");
    expect(redirect.status).toBe(308);
    expect(redirect.headers.location).toBe("/ui/?x=1");
  });

  it("serves hashed assets with their type, cached for good, gzipped when asked, 304 on a matching ETag", async () => {
    const js = await get("/ui/assets/index-abc123.js");
    expect(js.status).toBe(200);
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(js.body.toString()).toBe(script);
    expect((await get("/ui/assets/index-abc123.css")).headers["content-type"]).toBe("text/css; charset=utf-8");

    const gz = await get("/ui/assets/index-abc123.js", { "accept-encoding": "gzip, br" });
    expect(gz.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(gz.body).toString()).toBe(script);

    const again = await get("/ui/assets/index-abc123.js", { "if-none-match": js.headers.etag! });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);

    const head = await get("/ui/assets/index-abc123.js", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe(String(script.length));
  });

  it("answers 404 for a missing asset (not index.html) and for anything outside the build", async () => {
    expect((await get("/ui/assets/index-old.js")).status).toBe(404);
    for (const p of ["/ui/../secret.txt", "/ui/%2e%2e/secret.txt", "/ui//etc/passwd", "/ui/assets/..%2f..%2fsecret.txt"]) {
      const res = await get(p);
      expect(res.status, p).toBe(404);
      expect(res.body.toString(), p).not.toContain("outside the build");
    }
    expect((await get("/ui/%E0%A4%A")).status).toBe(400);
    expect((await get("/ui/", {}, "POST")).status).toBe(405);
  });

  it("passes every other path to the API", async () => {
    for (const p of ["/", "/uix", "/metrics", "/taskplane.v1.TaskService/ListTasks"]) expect((await get(p)).status, p).toBe(418);
  });
});
