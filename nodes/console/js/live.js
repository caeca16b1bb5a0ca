// Live updates: waits on GET /v1/changes (long polling) and tells the page
// shown to re-read what it shows. Stops when the session ends.
import * as api from './api.js';

let running = false;
let controller = null;

export function start(onChange) {
  if (running) return;
  running = true;
  loop(onChange);
}

export function stop() {
  running = false;
  if (controller) controller.abort();
}

async function loop(onChange) {
  let seq = null;
  let backoff = 1000;
  while (running) {
    controller = new AbortController();
    const path = seq === null ? '/v1/changes' : `/v1/changes?since=${seq}&wait=25`;
    const r = await api.get(path, { signal: controller.signal });
    if (!running) break;
    if (r.ok) {
      backoff = 1000;
      if (seq !== null && r.data.seq !== seq) onChange();
      seq = r.data.seq;
      continue;
    }
    if (r.status === 401) break;
    // Busy or unreachable: wait, then ask again.
    const retry = Number(r.retryAfter) * 1000 || backoff;
    backoff = Math.min(backoff * 2, 30000);
    await new Promise((resolve) => setTimeout(resolve, retry));
  }
}
