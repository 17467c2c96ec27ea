// Buttons that change something, each asking for confirmation first.
import { useState } from "react";
import { ConfirmDialog } from "./confirm-dialog.js";

export interface Action {
  label: string;
  /** The question the dialog asks. */
  question: string;
  /** What will happen, in a sentence. */
  consequence: string;
  danger?: boolean;
  run: () => Promise<unknown>;
}

export function ActionBar({ actions, label, onDone }: { actions: Action[]; label: string; onDone: () => void }) {
  const [pending, setPending] = useState<Action>();
  return (
    <div className="action-bar" role="group" aria-label={label}>
      {actions.map((a) => (
        <button key={a.label} type="button" className={a.danger ? "danger-outline" : undefined} onClick={() => setPending(a)}>
          {a.label}
        </button>
      ))}
      {pending && (
        <ConfirmDialog
          title={pending.question}
          body={pending.consequence}
          confirmLabel={pending.label}
          danger={pending.danger}
          onConfirm={async () => {
            await pending.run();
            onDone();
          }}
          onClose={() => setPending(undefined)}
        />
      )}
    </div>
  );
}
