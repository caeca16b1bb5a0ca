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

// Whether the browser's Intl data covers the language: Debian's Chromium
// has no Khmer, Lao or Burmese date data (it would answer in US English).
function intlHas(kind) {
  try { return Intl[kind].supportedLocalesOf([locale()]).length > 0; } catch { return false; }
}

const pad = (n) => String(n).padStart(2, '0');

// A date and time in the browser's time zone: the locale's medium style, or
// 2026-12-09 14:30 where the browser has no data for the language.
export function formatTime(us) {
  if (!us) return '';
  const d = new Date(us / 1000);
  if (!intlHas('DateTimeFormat')) {
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

export function formatNumber(n) { return new Intl.NumberFormat(locale()).format(n); }

// "in 3 days", "2 hours ago": the largest whole unit of a span in seconds.
// (From the catalogue, time.future.day etc., where the browser lacks the
// language's data.)
export function formatRelative(seconds) {
  const abs = Math.abs(seconds);
  const units = [['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1]];
  const [unit, size] = units.find(([, s]) => abs >= s) || units[3];
  const n = Math.trunc(seconds / size);
  if (!intlHas('RelativeTimeFormat')) return t(`time.${seconds < 0 ? 'past' : 'future'}.${unit}`, { n: Math.abs(n) });
  return new Intl.RelativeTimeFormat(locale(), { numeric: 'always' }).format(n, unit);
}
