// A small router over the History API: the pages are a handful of paths under /ui/, and links stay
// real <a href> elements (keyboard, middle-click and copy-link all work).
import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from "react";

export const BASE = "/ui";

export type Route =
  | { page: "overview" }
  | { page: "tasks"; query: URLSearchParams }
  | { page: "task"; taskId: string; runId?: string }
  | { page: "workers" }
  | { page: "audit"; query: URLSearchParams }
  | { page: "not-found"; path: string };

export function parseRoute(pathname: string, search: string): Route {
  const path = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const query = new URLSearchParams(search);
  if (parts.length === 0) return { page: "overview" };
  if (parts[0] === "tasks" && parts.length === 1) return { page: "tasks", query };
  if (parts[0] === "tasks" && parts.length === 2) return { page: "task", taskId: parts[1]!, runId: query.get("run") ?? undefined };
  if (parts[0] === "workers" && parts.length === 1) return { page: "workers" };
  if (parts[0] === "audit" && parts.length === 1) return { page: "audit", query };
  return { page: "not-found", path };
}

const listeners = new Set<() => void>();

/** Goes to a path under /ui, e.g. navigate("/tasks?state=2"); `replace` keeps history short for filter changes. */
export function navigate(to: string, replace = false): void {
  const url = BASE + to;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  for (const l of listeners) l();
}

export function useRoute(): Route {
  const [location, setLocation] = useState(() => window.location.pathname + window.location.search);
  useEffect(() => {
    const update = () => setLocation(window.location.pathname + window.location.search);
    listeners.add(update);
    window.addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  const [pathname, search = ""] = location.split(/(?=\?)/);
  return parseRoute(pathname!, search);
}

/** A link to a path under /ui that changes the page without reloading it. */
export function Link({ to, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    rest.onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
    window.scrollTo(0, 0);
  };
  return <a {...rest} href={BASE + to} onClick={onClick} />;
}
