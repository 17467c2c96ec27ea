// An API error as the server said it (its code and message), and for auth errors what to do next.
import { Code, ConnectError } from "@connectrpc/connect";
import { saveToken } from "../api/token.js";

/** "PermissionDenied" -> "PERMISSION_DENIED", the name the gRPC docs and CLI use. */
export const codeName = (code: Code) => (Code[code] ?? "UNKNOWN").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();

export function ApiError({ error, action }: { error: unknown; action?: string }) {
  if (error === undefined) return null;
  const e = ConnectError.from(error);
  return (
    <div className="error" role="alert">
      <p>
        {action ? `${action} failed: ` : ""}
        <strong className="code">{codeName(e.code)}</strong> {e.rawMessage}
      </p>
      <Advice code={e.code} />
    </div>
  );
}

function Advice({ code }: { code: Code }) {
  if (code === Code.Unauthenticated) {
    return (
      <p>
        The server did not accept your token: it is missing, expired, or signed by another key. Mint one with{" "}
        <code>npx taskplane token --role admin</code> (or use the link <code>taskplane dev</code> prints) and{" "}
        <button type="button" className="link" onClick={() => saveToken("")}>
          enter it again
        </button>
        .
      </p>
    );
  }
  if (code === Code.PermissionDenied) {
    return <p>Your token is valid but its roles or namespaces do not allow this. Use a token with the role it names (e.g. operator or admin), or for that namespace.</p>;
  }
  if (code === Code.Unavailable || code === Code.Unknown) {
    return <p>The control plane could not be reached or did not answer; the page retries by itself every few seconds.</p>;
  }
  if (code === Code.ResourceExhausted) return <p>Too many calls with this token right now; the page retries by itself.</p>;
  return null;
}
