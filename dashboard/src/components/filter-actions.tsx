// The buttons under a list's filter form: apply them, and clear them back to `clearTo` once any is set.
import { navigate } from "../router.js";

export function FilterActions({ filtered, clearTo }: { filtered: boolean; clearTo: string }) {
  return (
    <div className="filter-actions">
      <button type="submit" className="primary">
        Apply filters
      </button>
      {filtered && (
        <button type="button" onClick={() => navigate(clearTo, true)}>
          Clear
        </button>
      )}
    </div>
  );
}
