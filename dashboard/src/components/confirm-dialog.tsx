// Asks before a change: a modal <dialog> (the rest of the page is inert, Escape closes it) that
// focuses its confirm button, and shows the API's error if the change is refused.
import { useEffect, useRef, useState } from "react";
import { ApiError } from "./api-error.js";

export interface ConfirmProps {
  title: string;
  body: string;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => Promise<unknown>;
  onClose: () => void;
}

export function ConfirmDialog({ title, body, confirmLabel, danger, onConfirm, onClose }: ConfirmProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const confirm = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    const dialog = ref.current!;
    if (!dialog.open) dialog.showModal();
    confirm.current?.focus();
    return () => dialog.close();
  }, []);

  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm();
      onClose();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <dialog ref={ref} className="dialog" aria-labelledby="confirm-title" onCancel={(e) => (e.preventDefault(), onClose())}>
      <h2 id="confirm-title">{title}</h2>
      <p>{body}</p>
      <ApiError error={error} action={confirmLabel} />
      <div className="actions">
        <button type="button" onClick={onClose} disabled={busy}>
          Cancel
        </button>
        <button type="button" ref={confirm} className={danger ? "danger" : "primary"} onClick={run} disabled={busy}>
          {busy ? "Working…" : confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
