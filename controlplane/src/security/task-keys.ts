// Tasks' unwrapped data keys, for the sealed store. A task's data key never changes (rotation
// re-wraps it) and a task stored in the clear never gets one, so both answers are kept, for the
// most recently used tasks, and hot paths (claims) need no lookup for busy tasks.
import type { Store, TaskDataKey } from "../store/store.js";
import { dataKeyAad, unwrapDataKey } from "./envelope.js";
import type { KeyRing } from "./key-ring.js";

/** One task's unwrapped data key and where its ciphertexts belong. */
export interface TaskKey {
  taskId: string;
  namespace: string;
  key: Buffer;
}

export class TaskKeys {
  /** Task id -> its key, or null for a task stored in the clear; in least recently used order. */
  private readonly cache = new Map<string, TaskKey | null>();

  constructor(
    private readonly store: Store,
    private readonly ring: KeyRing,
    private readonly capacity = 10_000,
  ) {}

  /** The key of a task whose wrapped key is at hand (a task row); undefined for one in the clear. */
  of(k: TaskDataKey): TaskKey | undefined {
    const cached = this.recall(k.taskId);
    // A wrapped key at hand wins over a cached "in the clear".
    if (cached || (cached === null && !k.dataKey)) return cached ?? undefined;
    return this.unwrap(k) ?? undefined;
  }

  /** Keys by task id; tasks in the clear, or not found, are left out. */
  async ofTasks(taskIds: string[]): Promise<Map<string, TaskKey>> {
    const keys = new Map<string, TaskKey>();
    const missing: string[] = [];
    // What is cached is taken before the lookup, so nothing the lookup adds can evict it meanwhile.
    for (const id of new Set(taskIds)) {
      const cached = this.recall(id);
      if (cached === undefined) missing.push(id);
      else if (cached) keys.set(id, cached);
    }
    for (const [id, found] of await this.store.dataKeys("task", missing)) {
      const key = this.unwrap(found);
      if (key) keys.set(id, key);
    }
    return keys;
  }

  /** Keys by run id, of each run's task; runs of tasks in the clear, or not found, are left out. */
  async ofRuns(runIds: string[]): Promise<Map<string, TaskKey>> {
    const keys = new Map<string, TaskKey>();
    for (const [runId, found] of await this.store.dataKeys("run", [...new Set(runIds)])) {
      // The row just read decides whether the task is sealed; the cache only saves the unwrap.
      const key = found.dataKey ? (this.recall(found.taskId) ?? this.unwrap(found)) : undefined;
      if (key) keys.set(runId, key);
    }
    return keys;
  }

  private recall(taskId: string): TaskKey | null | undefined {
    const cached = this.cache.get(taskId);
    if (cached !== undefined) {
      this.cache.delete(taskId);
      this.cache.set(taskId, cached);
    }
    return cached;
  }

  /** Keeps a key at hand (one just made, or just unwrapped), evicting the least recently used. */
  remember(taskId: string, key: TaskKey | null): TaskKey | null {
    if (this.cache.size >= this.capacity) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(taskId, key);
    return key;
  }

  private unwrap(k: TaskDataKey): TaskKey | null {
    const key = k.dataKey ? { taskId: k.taskId, namespace: k.namespace, key: unwrapDataKey(this.ring, k.dataKey, dataKeyAad(k.namespace, k.taskId)) } : null;
    return this.remember(k.taskId, key);
  }
}
