// Who is logged in (from /v1/me or the login reply), and what their roles
// let the console offer. The server decides: this only hides what it would
// refuse anyway.
import * as api from './api.js';

let me = null;

export function user() { return me; }
export function setUser(u) { me = u; }
export function has(role) { return !!me && (me.roles || []).includes(role); }
export function worker() { return has('officer') || has('supervisor'); }

// The current session, or null (no cookie, or it ended).
export async function restore() {
  const r = await api.get('/v1/me');
  if (!r.ok) return null;
  api.setCsrf(r.data.csrf_token);
  me = r.data;
  return me;
}

export async function login(userId, password) {
  const r = await api.post('/v1/login', { user: userId, password, session: 'cookie' });
  if (r.ok) {
    api.setCsrf(r.data.csrf_token);
    me = r.data.user;
  }
  return r;
}

export async function logout() {
  await api.post('/v1/logout');
  me = null;
  api.setCsrf('');
}
