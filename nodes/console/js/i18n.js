// The message catalogue (i18n/<language>.json, one key per string, English
// as the fallback) and the user's dates, times and durations (Intl, in the
// browser's time zone).
export const LANGUAGES = ['en', 'th', 'km', 'lo', 'vi', 'id', 'ms', 'fil', 'my'];
const LOCALES = {
  en: 'en-GB', th: 'th-TH', km: 'km-KH', lo: 'lo-LA', vi: 'vi-VN', id: 'id-ID', ms: 'ms-MY', fil: 'fil-PH', my: 'my-MM',
};

let current = 'en';
let messages = {};
let fallback = {};
const cache = new Map();

async function load(lang) {
  if (!cache.has(lang)) {
    cache.set(lang, fetch(`/console/i18n/${lang}.json`, { credentials: 'same-origin' })
      .then((r) => (r.ok ? r.json() : {}))
      .catch(() => ({})));
  }
  return cache.get(lang);
}

export async function setLanguage(lang) {
  if (!LANGUAGES.includes(lang)) lang = 'en';
  fallback = await load('en');
  messages = lang === 'en' ? fallback : await load(lang);
  current = lang;
  document.documentElement.lang = lang;
  try { localStorage.setItem('lintas.language', lang); } catch { /* private mode */ }
}

export function language() { return current; }
export function locale() { return LOCALES[current] || 'en-GB'; }

// The browser's or the last chosen language, before anyone logs in.
export function preferredLanguage() {
  try {
    const kept = localStorage.getItem('lintas.language');
    if (kept && LANGUAGES.includes(kept)) return kept;
  } catch { /* private mode */ }
  for (const l of navigator.languages || []) {
    const base = l.toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
    if (base === 'tl') return 'fil';
  }
  return 'en';
}

// t('inbox.title'), t('case.items', {n: 3}): {name} placeholders are
// replaced by the values given (the result is used as text, never markup).
export function t(key, params) {
  let s = messages[key] ?? fallback[key] ?? key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  return s;
}

export function has(key) { return key in messages || key in fallback; }

// The name of a code (priority, state, body type, reason, category...) in
// the user's language; the code itself if the catalogue lacks it.
export function codeName(kind, value) {
  if (value === undefined || value === null || value === '') return '';
  const key = `${kind}.${value}`;
  return has(key) ? t(key) : String(value);
}

export function formatTime(us) {
  if (!us) return '';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(us / 1000));
}

export function formatNumber(n) { return new Intl.NumberFormat(locale()).format(n); }

// "in 3 days", "2 hours ago": the largest whole unit of a span in seconds.
export function formatRelative(seconds) {
  const rtf = new Intl.RelativeTimeFormat(locale(), { numeric: 'always' });
  const abs = Math.abs(seconds);
  const units = [['day', 86400], ['hour', 3600], ['minute', 60]];
  for (const [unit, size] of units) {
    if (abs >= size) return rtf.format(Math.trunc(seconds / size), unit);
  }
  return rtf.format(Math.trunc(seconds), 'second');
}
