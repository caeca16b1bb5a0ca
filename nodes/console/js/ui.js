// Pieces every page uses: badges, sortable tables, countdowns, the error
// summary of a form (GOV.UK pattern), notices.
import { fill, h } from './dom.js';
import { codeName, formatRelative, formatTime, t } from './i18n.js';

// Priorities by colour and word.
export function priorityBadge(priority) {
  return h('span', { class: `badge priority-${String(priority || 'Routine').toLowerCase()}` }, codeName('priority', priority));
}

export function stateBadge(state) {
  return h('span', { class: `badge state state-${state}` }, codeName('state', state));
}

export function party(p) {
  if (!p) return '';
  const who = p.agency || (p.role ? codeName('role', p.role) : '');
  return `${codeName('country', p.country)} · ${who}`;
}

// A deadline that counts down (live: refreshed by tickCountdowns).
export function countdown(dueUs) {
  const el = h('time', { class: 'countdown', 'data-due': dueUs, datetime: new Date(dueUs / 1000).toISOString() });
  renderCountdown(el);
  return el;
}

function renderCountdown(el) {
  const due = Number(el.dataset.due);
  if (!due) return;
  const left = Math.round((due - Date.now() * 1000) / 1e6);
  el.classList.toggle('overdue', left < 0);
  el.title = formatTime(due);
  el.textContent = left < 0 ? t('deadline.overdue_since', { when: formatRelative(left) }) : formatRelative(left);
}

export function tickCountdowns(root = document) {
  for (const el of root.querySelectorAll('time.countdown')) renderCountdown(el);
}

// A table whose columns sort on a click of their header.
// columns: [{label, value: row => sortable value, cell: row => node|text}]
export function sortableTable(columns, rows, { onRow, rowClass, caption } = {}) {
  let order = { index: -1, dir: 1 };
  const tbody = h('tbody');
  const heads = columns.map((c, i) => h('th', { scope: 'col', 'aria-sort': 'none' },
    h('button', { type: 'button', class: 'sort', onclick: () => sortBy(i) }, c.label)));
  function draw() {
    const sorted = order.index < 0 ? rows : [...rows].sort((a, b) => {
      const va = columns[order.index].value(a);
      const vb = columns[order.index].value(b);
      return (va < vb ? -1 : va > vb ? 1 : 0) * order.dir;
    });
    fill(tbody, sorted.map((r) => {
      const tr = h('tr', { class: rowClass ? rowClass(r) : null }, columns.map((c) => h('td', { 'data-label': c.label }, c.cell(r))));
      if (onRow) {
        tr.classList.add('link');
        tr.tabIndex = 0;
        tr.addEventListener('click', () => onRow(r));
        tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') onRow(r); });
      }
      return tr;
    }));
  }
  function sortBy(i) {
    order = { index: i, dir: order.index === i ? -order.dir : 1 };
    heads.forEach((th, j) => th.setAttribute('aria-sort', j !== i ? 'none' : order.dir > 0 ? 'ascending' : 'descending'));
    draw();
  }
  draw();
  return h('div', { class: 'table-wrap' },
    h('table', {}, caption ? h('caption', {}, caption) : null, h('thead', {}, h('tr', {}, heads)), tbody));
}

// The message for an API refusal, in the user's language, naming the field.
export function errorText(error, fieldLabel) {
  const code = error.code || 'internal';
  const base = t(`error.${code}`) !== `error.${code}` ? t(`error.${code}`) : t('error.internal');
  return fieldLabel ? t('error.field', { field: fieldLabel, problem: base }) : base;
}

// A form's errors: a summary at its top linking to each field, and each
// message beside its field. errors: [{id (of the input), text}].
export function showErrors(form, errors) {
  for (const el of form.querySelectorAll('.field-error')) el.remove();
  for (const el of form.querySelectorAll('.has-error')) el.classList.remove('has-error');
  const summary = form.querySelector('.error-summary');
  if (!errors.length) {
    if (summary) summary.remove();
    return;
  }
  const box = summary || h('div', { class: 'error-summary', role: 'alert', tabindex: '-1' });
  fill(box, h('h2', {}, t('form.errors_title')),
    h('ul', {}, errors.map((e) => h('li', {}, e.id
      ? h('a', { href: `#${e.id}`, onclick: (ev) => { ev.preventDefault(); form.querySelector(`#${CSS.escape(e.id)}`)?.focus(); } }, e.text)
      : e.text))));
  if (!summary) form.prepend(box);
  for (const e of errors) {
    const input = e.id && form.querySelector(`#${CSS.escape(e.id)}`);
    const group = input && input.closest('.field');
    if (group) {
      group.classList.add('has-error');
      const label = group.querySelector('label, legend');
      (label || input).after(h('p', { class: 'field-error', id: `${e.id}-error` }, e.text));
      input.setAttribute('aria-describedby', `${e.id}-error`);
    }
  }
  box.focus();
}

// A brief message in the status line.
export function notify(text) {
  const toast = document.getElementById('toast');
  fill(toast, text);
  toast.classList.add('shown');
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => toast.classList.remove('shown'), 5000);
}

export function loading() { return h('p', { class: 'loading' }, t('common.loading')); }

export function failure(error) { return h('p', { class: 'failure', role: 'alert' }, errorText(error), ' ', h('small', {}, error.message || '')); }
