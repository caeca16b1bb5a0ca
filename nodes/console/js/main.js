// The console's shell: session, header and navigation, the hash router, live
// updates and the idle timeout. Each page is a module under pages/.
import * as api from './api.js';
import { fill, h } from './dom.js';
import { LANGUAGES, language, preferredLanguage, setLanguage, t } from './i18n.js';
import * as live from './live.js';
import * as session from './session.js';
import { notify, tickCountdowns } from './ui.js';

const PAGES = {
  login: () => import('./pages/login.js'),
  inbox: () => import('./pages/inbox.js'),
  case: () => import('./pages/case.js'),
  new: () => import('./pages/compose.js'),
  alerts: () => import('./pages/alerts.js'),
  overdue: () => import('./pages/overdue.js'),
  statistics: () => import('./pages/statistics.js'),
  audit: () => import('./pages/audit.js'),
  account: () => import('./pages/account.js'),
};

// The server ends a session after 30 idle minutes; the page logs out at the
// same time, so that an unattended screen shows no case.
const IDLE_MS = 30 * 60 * 1000;
let idleTimer = null;
let shown = null;  // {name, handle} of the page on screen
let rendering = 0;

function home() { return session.worker() ? '#/inbox' : session.has('auditor') ? '#/audit' : '#/account'; }

function navLinks() {
  const links = [];
  const add = (hash, key) => links.push([hash, t(key)]);
  if (session.worker()) {
    add('#/inbox', 'nav.inbox');
    add('#/new/referral', 'nav.new_referral');
    add('#/new/request', 'nav.new_request');
    add('#/new/alert', 'nav.new_alert');
  }
  add('#/alerts', 'nav.alerts');
  if (session.worker()) add('#/overdue', 'nav.overdue');
  add('#/statistics', 'nav.statistics');
  if (session.has('auditor')) add('#/audit', 'nav.audit');
  add('#/account', 'nav.account');
  return links;
}

function languagePicker() {
  const sel = h('select', { id: 'language', 'aria-label': t('account.language') },
    LANGUAGES.map((l) => h('option', { value: l, selected: l === language() }, t(`language.${l}`))));
  sel.addEventListener('change', async () => {
    await setLanguage(sel.value);
    if (session.user()) {
      const r = await api.put('/v1/me/language', { language: sel.value });
      if (!r.ok) notify(t('account.language_not_saved'));
    }
    renderShell();
    route();
  });
  return sel;
}

function renderShell() {
  document.title = t('app.title');
  fill(document.getElementById('skip'), t('app.skip'));
  const top = document.getElementById('top');
  const u = session.user();
  const current = location.hash.split('/').slice(0, 3).join('/');
  fill(top,
    h('div', { class: 'brand' }, h('a', { href: u ? home() : '#/login' }, t('app.name')), h('span', { class: 'tagline' }, t('app.tagline'))),
    u ? h('nav', { 'aria-label': t('nav.label') }, h('ul', {}, navLinks().map(([hash, text]) =>
      h('li', {}, h('a', { href: hash, 'aria-current': current === hash ? 'page' : null }, text))))) : null,
    h('div', { class: 'who' },
      languagePicker(),
      u ? h('span', { class: 'user' }, t('app.signed_in_as', { user: u.display_name || u.id, agency: u.agency })) : null,
      u ? h('button', { type: 'button', id: 'logout', onclick: logout }, t('nav.logout')) : null));
}

async function logout() {
  live.stop();
  await session.logout();
  location.hash = '#/login';
  renderShell();
}

function sessionEnded() {
  if (!session.user()) return;
  live.stop();
  session.setUser(null);
  renderShell();
  location.hash = '#/login';
  notify(t('login.session_ended'));
}

function resetIdle() {
  clearTimeout(idleTimer);
  if (session.user()) idleTimer = setTimeout(async () => { await logout(); notify(t('login.session_ended')); }, IDLE_MS);
}

export async function route() {
  const parts = (location.hash || '').replace(/^#\/?/, '').split('/');
  let name = parts[0] || '';
  if (!session.user() && name !== 'login') {
    location.hash = '#/login';
    return;
  }
  if (!PAGES[name]) {
    location.hash = session.user() ? home() : '#/login';
    return;
  }
  const token = ++rendering;
  if (shown && shown.handle && shown.handle.dispose) shown.handle.dispose();
  const main = document.getElementById('main');
  const module = await PAGES[name]();
  if (token !== rendering) return;
  const params = parts.slice(1).map(decodeURIComponent);
  const handle = await module.render(main, params, { loggedIn });
  if (token !== rendering) return;
  shown = { name, handle };
  renderShell();
}

// After a login: the user's language, live updates, their first page.
async function loggedIn() {
  await setLanguage(session.user().language || language());
  startLive();
  resetIdle();
  location.hash = home();
  renderShell();
}

// A burst of changes (a batch of receipts) re-reads the page once: at most
// one refresh per second, the last change always shown.
let refreshTimer = null;
function startLive() {
  live.start(() => {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      if (shown && shown.handle && shown.handle.refresh) shown.handle.refresh();
    }, 1000);
  });
}

async function boot() {
  await setLanguage(preferredLanguage());
  api.whenSessionEnds(sessionEnded);
  const u = await session.restore();
  if (u) {
    await setLanguage(u.language || language());
    startLive();
    resetIdle();
  }
  renderShell();
  window.addEventListener('hashchange', route);
  for (const ev of ['keydown', 'click', 'touchstart']) document.addEventListener(ev, resetIdle, { passive: true });
  setInterval(() => tickCountdowns(), 15000);
  await route();
}

boot();
