// The bearer token the dashboard sends with every call, kept in localStorage. A link may carry one
// once as #token=…; it is saved and stripped from the address bar so it does not linger in history.
const KEY = "taskplane.token";
const listeners = new Set<() => void>();

export function readToken(): string {
  return localStorage.getItem(KEY) ?? "";
}

export function saveToken(token: string): void {
  const t = token.trim().replace(/^Bearer\s+/i, "");
  if (t) localStorage.setItem(KEY, t);
  else localStorage.removeItem(KEY);
  for (const l of listeners) l();
}

export function onTokenChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Takes a token from `#token=…` in the URL, if any, and removes it from the address bar. */
export function adoptTokenFromUrl(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return;
  saveToken(decodeURIComponent(match[1]!));
  history.replaceState(history.state, "", location.pathname + location.search);
}

export interface TokenClaims {
  sub?: string;
  roles?: string[];
  namespaces?: string[];
  exp?: number;
}

/** What the token says about itself, for display only: the server verifies it on every call. */
export function claimsOf(token: string): TokenClaims | undefined {
  try {
    const part = token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(part)) as TokenClaims;
  } catch {
    return undefined;
  }
}
