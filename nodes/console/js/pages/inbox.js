// The inbox: the items of the agency's open cases, new (unread) first, then
// by priority and deadline, each with a live countdown. Re-read on every
// change the node reports (live.js).
import * as api from '../api.js';
import { fill, h } from '../dom.js';
import { codeName, formatTime, t } from '../i18n.js';
import { countdown, failure, loading, party, priorityBadge, sortableTable, stateBadge } from '../ui.js';

// The most cases the inbox reads at once (the API allows 1000); older open
// items still show under "overdue" when their deadline passes.
const LIMIT = 500;

// One row per item that is still open for this agency.
export function rows(cases) {
  const out = [];
  for (const c of cases) {
    for (const item of c.items || []) {
      if (item.kind === 'alert' || item.state === 'closed') continue;
      out.push({ case: c, item, unread: !!c.unread });
    }
  }
  out.sort((a, b) => (b.unread - a.unread)
    || ((b.item.priority_rank || 0) - (a.item.priority_rank || 0))
    || ((a.item.due_us || Infinity) - (b.item.due_us || Infinity)));
  return out;
}

function subjectOf(item) {
  if (item.kind === 'request') return item.subject || '';
  return item.victim ? `${item.victim} · ${codeName('exploitation', item.exploitation)}` : '';
}

function table(list) {
  const open = (r) => { location.hash = `#/case/${encodeURIComponent(r.case.case_id)}`; };
  return sortableTable([
    { label: t('inbox.unread'), value: (r) => (r.unread ? 0 : 1), cell: (r) => (r.unread ? h('span', { class: 'unread', title: t('inbox.unread') }, t('inbox.new')) : '') },
    { label: t('case.priority'), value: (r) => -(r.item.priority_rank || 0), cell: (r) => priorityBadge(r.item.priority) },
    { label: t('case.case_id'), value: (r) => r.case.case_id, cell: (r) => h('a', { href: `#/case/${encodeURIComponent(r.case.case_id)}` }, r.case.case_id) },
    { label: t('case.type'), value: (r) => r.item.type, cell: (r) => codeName('body', r.item.type) },
    { label: t('case.subject'), value: (r) => subjectOf(r.item), cell: (r) => subjectOf(r.item) },
    { label: t('case.counterpart'), value: (r) => party(r.item.counterpart), cell: (r) => party(r.item.counterpart) },
    { label: t('case.state'), value: (r) => r.item.state, cell: (r) => stateBadge(r.item.state) },
    { label: t('case.due'), value: (r) => r.item.due_us || Infinity, cell: (r) => (r.item.due_us && r.item.awaiting_answer ? countdown(r.item.due_us) : formatTime(r.item.due_us)) },
  ], list, { onRow: open, rowClass: (r) => [r.unread ? 'is-unread' : '', r.item.overdue ? 'is-overdue' : ''].join(' ').trim() || null, caption: t('inbox.caption') });
}

export async function render(main) {
  fill(main, h('h1', {}, t('inbox.title')), loading());
  let busy = false;
  async function refresh() {
    if (busy) return;
    busy = true;
    const r = await api.get(`/v1/cases${api.query({ state: 'open', limit: LIMIT })}`);
    busy = false;
    if (!r.ok) {
      if (!r.aborted) fill(main, h('h1', {}, t('inbox.title')), failure(r.error));
      return;
    }
    const list = rows(r.data.cases || []);
    const unread = list.filter((x) => x.unread).length;
    fill(main,
      h('h1', {}, t('inbox.title')),
      h('p', { class: 'summary', id: 'inbox-summary' }, t('inbox.summary', { items: list.length, unread })),
      list.length ? table(list) : h('p', { class: 'empty' }, t('inbox.empty')),
      (r.data.cases || []).length >= LIMIT ? h('p', { class: 'hint' }, t('inbox.limited', { n: LIMIT })) : null);
    // For bench/console: the time from navigation to the first full inbox.
    if (!performance.getEntriesByName('lintas:inbox-rendered').length) performance.mark('lintas:inbox-rendered');
  }
  await refresh();
  return { refresh };
}
