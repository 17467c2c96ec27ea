// Serves the prebuilt dashboard (dashboard/dist, committed) at /ui on the API port: static files
// with their content types, hashed assets cached for good, index.html revalidated on every load,
// and every other path under /ui answered with index.html so the app's own routes work on reload.
// No token is needed here: the files are public, and every API call the app makes carries one.
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import type http from "node:http";
import type http2 from "node:http2";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export const DASHBOARD_PATH = "/ui";
const DEFAULT_ROOT = fileURLToPath(new URL("../../../dashboard/dist/", import.meta.url));

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;
type Handler = (req: Request, res: Response) => void;

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};
const COMPRESSIBLE = new Set([".html", ".js", ".css", ".json", ".svg", ".txt"]);

// The app loads only its own files and calls only this origin; nobody may frame it (it has
// buttons that cancel and delete).
const HTML_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

interface Asset {
  mtimeMs: number;
  body: Buffer;
  gzipped?: Buffer;
  etag: string;
}

/** Answers GET and HEAD under /ui from `root`, and passes every other request to `next`. */
export function withDashboard(next: Handler, root = DEFAULT_ROOT): Handler {
  const base = path.resolve(root);
  const cache = new Map<string, Asset>();

  const load = async (file: string): Promise<Asset | undefined> => {
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) return undefined;
    const cached = cache.get(file);
    if (cached?.mtimeMs === info.mtimeMs) return cached;
    const body = await readFile(file);
    const asset = { mtimeMs: info.mtimeMs, body, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` };
    cache.set(file, asset);
    return asset;
  };

  const serve = async (req: Request, res: Response, urlPath: string, query: string) => {
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "only GET and HEAD are served under /ui\n", { allow: "GET, HEAD" });
    if (urlPath === DASHBOARD_PATH) return send(res, 308, "", { location: `${DASHBOARD_PATH}/${query}` });
    let rel: string;
    try {
      rel = decodeURIComponent(urlPath.slice(DASHBOARD_PATH.length + 1));
    } catch {
      return send(res, 400, "malformed path\n");
    }
    const file = path.resolve(base, rel);
    if (rel.includes("\0") || (file !== base && !file.startsWith(base + path.sep))) return send(res, 404, "not found\n");

    // A missing hashed asset is a 404 (a stale page asking for an old build), never index.html.
    let asset = rel === "" ? undefined : await load(file);
    let served = file;
    if (!asset && !rel.startsWith("assets/")) {
      served = path.join(base, "index.html");
      asset = await load(served);
      if (!asset) return send(res, 404, "the dashboard is not built: run `npm run build -w dashboard`\n");
    }
    if (!asset) return send(res, 404, "not found\n");

    const ext = path.extname(served);
    const headers: Record<string, string> = {
      "content-type": TYPES[ext] ?? "application/octet-stream",
      // Vite names assets by content hash, so a name never changes meaning; index.html names them.
      "cache-control": served.startsWith(path.join(base, "assets") + path.sep) ? "public, max-age=31536000, immutable" : "no-cache",
      etag: asset.etag,
      "x-content-type-options": "nosniff",
      ...(ext === ".html" ? HTML_HEADERS : {}),
    };
    if (req.headers["if-none-match"] === asset.etag) return send(res, 304, "", headers);
    let body = asset.body;
    if (COMPRESSIBLE.has(ext) && body.length > 1024) {
      headers.vary = "accept-encoding";
      if (/\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) {
        body = asset.gzipped ??= gzipSync(asset.body);
        headers["content-encoding"] = "gzip";
      }
    }
    headers["content-length"] = String(body.length);
    (res as http.ServerResponse).writeHead(200, headers);
    if (req.method === "HEAD") res.end();
    else res.end(body);
  };

  return (req, res) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const urlPath = q < 0 ? url : url.slice(0, q);
    if (urlPath !== DASHBOARD_PATH && !urlPath.startsWith(`${DASHBOARD_PATH}/`)) return next(req, res);
    serve(req, res, urlPath, q < 0 ? "" : url.slice(q)).catch(() => {
      if (!res.headersSent) send(res, 500, "could not read the dashboard's files\n");
      else res.end();
    });
  };
}

function send(res: Response, status: number, body: string, headers: Record<string, string> = {}): void {
  (res as http.ServerResponse).writeHead(status, { "content-type": "text/plain; charset=utf-8", ...headers }).end(body);
}
