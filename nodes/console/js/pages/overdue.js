// Overdue items of the agency, most urgent first; supervisors also see the
// escalations (overdue past the escalation delay of their priority).
import * as api from '../api.js';
import { fill, h } from '../dom.js';
import { codeName, t } from '../i18n.js';
import * as session from '../session.js';
import { countdown, failure, loading, party, priorityBadge, sortableTable, stateBadge } from '../ui.js';

function table(items, caption) {
  return sortableTable([
    { label: t('case.priority'), value: (i) => -(i.priority_rank || 0), cell: (i) => priorityBadge(i.priority) },
    { label: t('case.case_id'), value: (i) => i.case_id, cell: (i) => h('a', { href: `#/case/${encodeURIComponent(i.case_id)}` }, i.case_id) },
    { label: t('case.type'), value: (i) => i.type, cell: (i) => codeName('body', i.type) },
    { label: t('case.counterpart'), value: (i) => party(i.counterpart), cell: (i) => party(i.counterpart) },
    { label: t('case.state'), value: (i) => i.state, cell: (i) => stateBadge(i.state) },
    { label: t('case.due'), value: (i) => i.due_us, cell: (i) => countdown(i.due_us) },
    { label: t('overdue.escalated'), value: (i) => (i.escalated ? 0 : 1), cell: (i) => (i.escalated ? h('span', { class: 'badge overdue' }, t('overdue.escalated')) : '') },
  ], items, { caption, onRow: (i) => { location.hash = `#/case/${encodeURIComponent(i.case_id)}`; } });
}

export async function render(main) {
  fill(main, h('h1', {}, t('overdue.title')), loading());
  async function refresh() {
    const calls = [api.get('/v1/overdue')];
    if (session.has('supervisor')) calls.push(api.get('/v1/overdue?escalated=true'));
    const [all, escalated] = await Promise.all(calls);
    const part = (r, caption, empty) => (!r.ok ? failure(r.error) : (r.data.items || []).length ? table(r.data.items, caption) : h('p', { class: 'empty' }, empty));
    fill(main, h('h1', {}, t('overdue.title')),
      escalated ? [h('h2', {}, t('overdue.escalations')), part(escalated, t('overdue.escalations'), t('overdue.no_escalations'))] : null,
      h('h2', {}, t('overdue.all')), part(all, t('overdue.all'), t('overdue.none')));
  }
  await refresh();
  return { refresh };
}
