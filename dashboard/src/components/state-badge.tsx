// A state as a coloured pill with its name in words, so it reads without colour too.
import type { Tone } from "../format.js";

export function StateBadge({ label, tone }: { label: string; tone: Tone }) {
  return (
    <span className={`badge tone-${tone}`}>
      <span className="dot" aria-hidden="true" />
      {label}
    </span>
  );
}
