// Loads data and reloads it every few seconds while the page shows it, keeping the last good value
// on screen when a reload fails.
import { useCallback, useEffect, useRef, useState } from "react";
import { onTokenChange } from "./token.js";

export const REFRESH_MS = 3_000;

export interface Polled<T> {
  data: T | undefined;
  error: unknown;
  /** Loads again now (after a change the user made). */
  reload: () => void;
}

/**
 * Calls `load` now, whenever `key` changes, when the token changes, and every `intervalMs` (0: once).
 * A tick waits for the call in flight; an answer is dropped when a newer call has started since (the
 * key changed, or the user reloaded), so a slow answer never overwrites a newer one.
 */
export function usePoll<T>(load: () => Promise<T>, key: string, intervalMs = REFRESH_MS): Polled<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<unknown>();
  const generation = useRef(0);
  const inFlight = useRef(false);
  const loadRef = useRef(load);
  loadRef.current = load;

  const reload = useCallback(() => {
    const mine = ++generation.current;
    inFlight.current = true;
    loadRef.current().then(
      (value) => {
        if (mine !== generation.current) return;
        inFlight.current = false;
        setData(value);
        setError(undefined);
      },
      (e: unknown) => {
        if (mine !== generation.current) return;
        inFlight.current = false;
        setError(e);
      },
    );
  }, []);

  useEffect(() => {
    setData(undefined);
    setError(undefined);
    reload();
    const off = onTokenChange(reload);
    const timer = intervalMs > 0 ? setInterval(() => !inFlight.current && document.visibilityState === "visible" && reload(), intervalMs) : undefined;
    return () => {
      off();
      clearInterval(timer);
      generation.current++;
    };
  }, [key, intervalMs, reload]);

  return { data, error, reload };
}
