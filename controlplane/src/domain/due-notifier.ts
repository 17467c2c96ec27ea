/** Tells the scheduler that runs fall due at these times, so it need not wait for its next reload. */
export interface DueNotifier {
  runsDue(times: Date[]): void;
}
