// Page tokens for a list that refreshes: the current page is re-read on every refresh, and
// Previous/Next move through the tokens the server handed out.
import { useState } from "react";

export function usePager(resetKey: string) {
  const [state, setState] = useState({ key: resetKey, tokens: [""] });
  // New filters start again from the first page.
  const tokens = state.key === resetKey ? state.tokens : [""];
  return {
    token: tokens[tokens.length - 1]!,
    page: tokens.length,
    next: (token: string) => setState({ key: resetKey, tokens: [...tokens, token] }),
    previous: () => setState({ key: resetKey, tokens: tokens.length > 1 ? tokens.slice(0, -1) : tokens }),
  };
}

export function Pager({ page, nextToken, onNext, onPrevious }: { page: number; nextToken: string | undefined; onNext: (token: string) => void; onPrevious: () => void }) {
  if (page === 1 && !nextToken) return null;
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" onClick={onPrevious} disabled={page === 1}>
        ← Previous
      </button>
      <span>Page {page}</span>
      <button type="button" onClick={() => nextToken && onNext(nextToken)} disabled={!nextToken}>
        Next →
      </button>
    </nav>
  );
}
