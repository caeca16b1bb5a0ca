// Statistics the node keeps (GET /v1/statistics): items by partner country,
// by type and by state, and deadlines met and missed; each as a table and a
// bar chart (SVG, drawn here, no library).
import * as api from '../api.js';
import { fill, h, svg } from '../dom.js';
import { codeName, formatNumber, t } from '../i18n.js';
import * as session from '../session.js';
import { failure, loading } from '../ui.js';

// Horizontal bars: rows [[label, value]]; the table beside it says the same.
function bars(rows, title) {
  const max = Math.max(1, ...rows.map(([, v]) => v));
  const rowH = 22;
  const width = 420;
  const labelW = 160;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${rows.length * rowH + 4}`, class: 'chart', role: 'img', 'aria-label': title });
  rows.forEach(([label, v], i) => {
    const y = i * rowH + 2;
    const w = Math.round(((width - labelW - 50) * v) / max);
    chart.append(svg('text', { x: labelW - 6, y: y + 15, 'text-anchor': 'end', class: 'chart-label' }, label));
    chart.append(svg('rect', { x: labelW, y: y + 3, width: Math.max(w, 1), height: rowH - 6, class: 'chart-bar' }));
    chart.append(svg('text', { x: labelW + w + 4, y: y + 15, class: 'chart-value' }, formatNumber(v)));
  });
  return chart;
}

function figure(title, head, rows, id) {
  return h('section', { class: 'stat', id },
    h('h2', {}, title),
    h('div', { class: 'stat-body' },
      h('table', {}, h('thead', {}, h('tr', {}, head.map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => (i ? h('td', { class: 'num' }, formatNumber(c)) : h('th', { scope: 'row' }, c))))))),
      rows.length ? bars(rows.map((r) => [r[0], r.slice(1).reduce((a, b) => a + b, 0)]), title) : h('p', { class: 'empty' }, t('statistics.none'))));
}

export async function render(main) {
  fill(main, h('h1', {}, t('statistics.title')), loading());
  async function refresh() {
    const justification = session.worker() ? '' : sessionStorage.getItem('lintas.justification') || '';
    const r = await api.get(`/v1/statistics${api.query({ justification })}`);
    if (!r.ok) {
      fill(main, h('h1', {}, t('statistics.title')), failure(r.error),
        r.error.field === 'justification' ? h('p', {}, h('a', { href: '#/audit' }, t('audit.give_justification'))) : null);
      return;
    }
    const s = r.data;
    const partners = Object.entries(s.by_partner || {}).map(([c, v]) => [codeName('country', c), v.incoming || 0, v.outgoing || 0]);
    const types = Object.entries(s.by_type || {}).map(([k, v]) => [codeName('body', k), v]);
    const states = Object.entries(s.by_state || {}).map(([k, v]) => [codeName('state', k), v]);
    const d = s.deadlines || {};
    const deadlines = [['met', d.met], ['missed', d.missed], ['open_on_time', d.open_on_time], ['overdue_now', d.overdue_now]]
      .map(([k, v]) => [t(`statistics.deadline.${k}`), v || 0]);
    fill(main, h('h1', {}, t('statistics.title')),
      h('p', { class: 'summary' }, t('statistics.summary', { items: formatNumber(s.items || 0), agency: s.agency || t('common.all') })),
      h('div', { class: 'stats' },
        figure(t('statistics.by_partner'), [t('case.country'), t('statistics.incoming'), t('statistics.outgoing')], partners, 'stat-partner'),
        figure(t('statistics.by_type'), [t('case.type'), t('statistics.items')], types, 'stat-type'),
        figure(t('statistics.by_state'), [t('case.state'), t('statistics.items')], states, 'stat-state'),
        figure(t('statistics.deadlines'), [t('statistics.deadline'), t('statistics.items')], deadlines, 'stat-deadlines')));
  }
  await refresh();
  return { refresh };
}
