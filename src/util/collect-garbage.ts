// A full garbage collection, asked of V8 through the in-process inspector (no flag, no port).
//
// kspec run is idle between passes, and a pass leaves behind a heap grown to two or three times
// what stays live: V8 then keeps those pages, since it shrinks a heap only when it collects,
// and an idle process allocates too little to start a collection. With 1,000 policies over
// 10,000 watched resources the process stayed at 317 MB resident for minutes after a pass, and
// went to 200 MB after one full collection (bench/scale/fixture.ts). One collection per pass
// costs a fraction of a second against passes of seconds.
import type { Session } from 'node:inspector';

let session: Promise<Session | undefined> | undefined;

/** Collects garbage now; resolves when done. A Node built without the inspector skips it. */
export async function collectGarbage(): Promise<void> {
  session ??= import('node:inspector')
    .then(({ Session }) => {
      const opened = new Session();
      opened.connect();
      return opened;
    })
    .catch(() => undefined);
  const connected = await session;
  if (!connected) return;
  await new Promise<void>((resolve) => connected.post('HeapProfiler.collectGarbage', () => resolve()));
}
