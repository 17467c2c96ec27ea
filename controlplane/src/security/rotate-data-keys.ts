// `taskplane keys rotate`: re-wraps every encrypted task's data key under the key ring's newest
// key, so older keys can be removed. Payloads are not touched: the data keys stay the same.
import type { Store } from "../store/store.js";
import { dataKeyAad, rewrapDataKey } from "./envelope.js";
import type { KeyRing } from "./key-ring.js";

const BATCH = 500;

export interface RotationProgress {
  /** Encrypted tasks looked at so far. */
  checked: number;
  /** Of those, re-wrapped under the newest key. */
  rewrapped: number;
  /** At the end: encrypted tasks still under an older key (made meanwhile by a replica without the newest). */
  remaining?: number;
}

export async function rotateDataKeys(store: Store, ring: KeyRing, onProgress: (p: RotationProgress) => void = () => {}): Promise<RotationProgress> {
  const progress = { checked: 0, rewrapped: 0 };
  for (let after: string | undefined; ; ) {
    const page = await store.dataKeyPage(after, BATCH);
    if (page.length === 0) return { ...progress, remaining: await store.countDataKeysNotUnder(ring.current.id) };
    const changes = page.flatMap((k) => {
      const { wrapped, rewrapped } = rewrapDataKey(ring, k.dataKey!, dataKeyAad(k.namespace, k.taskId));
      return rewrapped ? [{ taskId: k.taskId, from: k.dataKey!, to: wrapped }] : [];
    });
    // A key changed meanwhile was re-wrapped by another rotation: it is under a configured key either way.
    progress.rewrapped += await store.replaceDataKeys(changes);
    progress.checked += page.length;
    after = page.at(-1)!.taskId;
    onProgress({ ...progress });
  }
}
