// Where the user pastes a token. It is kept in this browser's localStorage and sent as
// `Authorization: Bearer …` with every call; the server decides what it may do.
import { useState, type FormEvent } from "react";
import { saveToken } from "../api/token.js";

export function TokenForm() {
  const [value, setValue] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    saveToken(value);
  };
  return (
    <>
      <header className="sign-in-top">Taskplane</header>
      <main className="page narrow">
        <h1>Sign in with a token</h1>
        <p>Every call to the Taskplane API needs a bearer token; the dashboard has no access of its own.</p>
        <ul>
          <li>
            <code>npx taskplane dev</code> prints a link that signs you in (<code>…/ui/#token=…</code>).
          </li>
          <li>
            Or mint one: <code>npx taskplane token --role viewer</code> (read only), <code>--role operator</code> or <code>--role admin</code>.
          </li>
        </ul>
        <form onSubmit={submit} className="token-form">
          <label htmlFor="token">Token</label>
          <textarea id="token" rows={4} value={value} onChange={(e) => setValue(e.target.value)} placeholder="eyJhbGciOi…" spellCheck={false} autoFocus required />
          <button type="submit" className="primary" disabled={!value.trim()}>
            Use this token
          </button>
        </form>
        <p className="muted">The token stays in this browser (localStorage) until you sign out.</p>
      </main>
    </>
  );
}
