// The node's API (docs/API.md), same origin. The session is the HttpOnly
// cookie set at login; every state change carries the CSRF token that the
// login reply and /v1/me hand to the page.
let csrf = '';
let onSessionEnded = null;

export function setCsrf(token) { csrf = token || ''; }
export function whenSessionEnds(callback) { onSessionEnded = callback; }

// Returns {ok, status, data} or {ok: false, status, error: {code, field,
// message}}; never throws (a network failure is status 0).
export async function call(method, path, body, { signal } = {}) {
  const opts = { method, credentials: 'same-origin', headers: { Accept: 'application/json' }, signal };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  if (method !== 'GET') opts.headers['X-CSRF-Token'] = csrf;
  let res;
  try {
    res = await fetch(path, opts);
  } catch (e) {
    if (e.name === 'AbortError') return { ok: false, status: 0, aborted: true, error: { code: 'aborted', field: '', message: '' } };
    return { ok: false, status: 0, error: { code: 'network', field: '', message: String(e) } };
  }
  let data = null;
  if (res.status !== 204) {
    try { data = await res.json(); } catch { data = null; }
  }
  if (res.ok) return { ok: true, status: res.status, data };
  if (res.status === 401 && path !== '/v1/login' && onSessionEnded) onSessionEnded();
  const error = (data && data.error) || { code: 'internal', field: '', message: `HTTP ${res.status}` };
  return { ok: false, status: res.status, error, retryAfter: res.headers.get('Retry-After') };
}

export const get = (path, opts) => call('GET', path, undefined, opts);
export const post = (path, body) => call('POST', path, body ?? {});
export const put = (path, body) => call('PUT', path, body ?? {});
export const del = (path) => call('DELETE', path);

// Query string from an object, skipping empty values.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
