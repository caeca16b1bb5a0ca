// The case view: every item with its state, references, parties, deadline
// and consent scope; the whole thread in order with who did what; and the
// steps the user's side may take, as buttons that open their form.
import * as actions from '../actions.js';
import * as api from '../api.js';
import { fill, h } from '../dom.js';
import { codeName, formatTime, t } from '../i18n.js';
import * as session from '../session.js';
import { countdown, errorText, failure, loading, notify, party, priorityBadge, showErrors, stateBadge } from '../ui.js';

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== '' && v !== null && v !== undefined)
    .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function references(kase) {
  const refs = Object.entries(kase.references || {});
  if (!refs.length) return t('case.no_references');
  return h('ul', { class: 'plain' }, refs.map(([country, ref]) => h('li', {}, `${codeName('country', country)}: `, h('code', {}, ref))));
}

function itemFacts(item) {
  const rows = [
    [t('case.type'), codeName('body', item.type)],
    [t('case.state'), stateBadge(item.state)],
    [t('case.priority'), priorityBadge(item.priority)],
    [t('case.handling'), codeName('handling', item.handling)],
    [t('field.handling_text'), item.handling_text ? h('p', { class: 'free-text', id: 'handling-conditions' }, item.handling_text) : ''],
    [t('case.from'), party(item.origin)],
    [t('case.to'), party(item.addressee)],
    [t('case.due'), item.due_us ? h('span', {}, formatTime(item.due_us), ' ', item.awaiting_answer ? countdown(item.due_us) : '') : ''],
    [t('case.created'), `${formatTime(item.created_at_us)} · ${item.created_by || ''}`],
  ];
  if (item.kind === 'referral') {
    rows.push([t('case.victim'), item.victim || '']);
    rows.push([t('case.minor'), item.minor ? t('common.yes') : t('common.no')]);
    rows.push([t('case.exploitation'), codeName('exploitation', item.exploitation)]);
    rows.push([t('case.consent'), (item.consent || []).length
      ? h('ul', { class: 'tags' }, item.consent.map((c) => h('li', {}, codeName('consent', c)))) : t('case.no_consent')]);
    rows.push([t('case.summary'), h('p', { class: 'free-text' }, item.summary || '')]);
    rows.push(...withdrawals(item));
  } else if (item.kind === 'request') {
    rows.push([t('case.subject'), h('p', { class: 'free-text' }, item.subject || '')]);
  }
  if ((item.attachments || []).length) {
    rows.push([t('case.attachments'), h('ul', { class: 'plain attachments' },
      item.attachments.map((a) => h('li', {}, h('code', {}, a.media_type || ''), ' ', a.location || '')))]);
  }
  if (item.owner) rows.push([t('case.owner'), `${item.owner.agency || ''} · ${item.owner.officer || ''}`]);
  if (item.decline) rows.push([t('case.declined'), `${codeName('decline', item.decline.reason)} · ${item.decline.note || ''}`]);
  if (item.refusal) rows.push([t('case.refused'), `${codeName('refusal', item.refusal.reason)} · ${item.refusal.note || ''}`]);
  if (item.return) rows.push([t('case.return'), `${item.return.checkpoint || ''} · ${formatTime(item.return.planned_at_us)}`]);
  if (item.refused_step) rows.push([t('case.refused_step'), `${codeName('body', item.refused_step.type)}: ${item.refused_step.message || ''}`]);
  return facts(rows);
}

// "Photograph withdrawn on DATE by AGENCY": what the person no longer lets
// us share (the node hides its data from every view).
function withdrawals(item) {
  const by = (w) => party(w.by || {});
  const rows = (item.consent_withdrawn || []).map((w) => [t('case.consent_withdrawn_label'),
    h('p', { class: 'withdrawn' }, t('case.consent_withdrawn', { item: codeName('consent', w.item), date: formatTime(w.at_us), agency: by(w) }))]);
  const all = item.consent_withdrawn_all;
  if (all) {
    rows.push([t('case.consent_withdrawn_label'),
      h('p', { class: 'withdrawn' }, t('case.consent_withdrawn_all', { date: formatTime(all.at_us), agency: by(all) }))]);
  }
  return rows;
}

// A thread entry's detail: each field in words, codes by name.
const DETAIL_CODES = { reason: null, outcome: 'outcome', withdrawn: 'consent' };
function detail(ev) {
  const d = ev.detail || {};
  const parts = [];
  for (const [k, v] of Object.entries(d)) {
    if (v === '' || v === null || v === false || (Array.isArray(v) && !v.length)) continue;
    let shown;
    if (k.endsWith('_us')) shown = formatTime(v);
    else if (k === 'reason' && ev.type === 'ReferralDeclined') shown = codeName('decline', v);
    else if (k === 'reason' && ev.type === 'InformationRefused') shown = codeName('refusal', v);
    else if (DETAIL_CODES[k]) shown = (Array.isArray(v) ? v : [v]).map((x) => codeName(DETAIL_CODES[k], x)).join(', ');
    else shown = Array.isArray(v) ? v.join(' · ') : String(v);
    parts.push(h('span', { class: 'detail' }, h('b', {}, `${t(`field.${k}`)}: `), shown));
  }
  return parts;
}

// An event's handling code in words, and H3's conditions, unless it is H0.
function handlingOf(ev) {
  if (!ev.handling || ev.handling === 'H0') return null;
  return h('span', { class: 'handling' }, h('br'), codeName('handling', ev.handling),
    ev.handling_text ? h('span', { class: 'free-text' }, h('br'), t('case.handling_conditions', { conditions: ev.handling_text })) : null);
}

function thread(kase) {
  const events = kase.events || [];
  return h('div', { class: 'table-wrap' }, h('table', { class: 'thread', id: 'thread' },
    h('caption', {}, t('case.thread', { shown: events.length, total: kase.events_total || events.length })),
    h('thead', {}, h('tr', {}, [t('case.when'), t('case.who'), t('case.what'), t('case.detail')].map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, events.map((ev) => h('tr', { class: `dir-${ev.direction}` },
      h('td', { 'data-label': t('case.when') }, formatTime(ev.created_at_us)),
      h('td', { 'data-label': t('case.who') }, party(ev.from), ev.officer ? h('br') : null, ev.officer || ''),
      h('td', { 'data-label': t('case.what') }, codeName('body', ev.type), handlingOf(ev)),
      h('td', { 'data-label': t('case.detail') }, detail(ev)))))));
}

function actionBar(item, refresh) {
  if (!session.worker()) return null;
  const names = actions.allowed(item);
  if (!names.length) return null;
  const panel = h('div', { class: 'action-panel' });
  const buttons = names.map((name) => h('button', {
    type: 'button', class: `action action-${name}`, 'data-action': name, 'aria-expanded': 'false',
    onclick: (ev) => open(name, ev.currentTarget),
  }, t(`action.${name}`)));
  function open(name, button) {
    for (const b of buttons) b.setAttribute('aria-expanded', String(b === button));
    const f = actions.form(name, item.item_id, (body, el) => submit(name, body, el), showErrors);
    fill(panel, h('h3', {}, t(`action.${name}`)), f,
      h('button', { type: 'button', class: 'link', onclick: () => { fill(panel); button.setAttribute('aria-expanded', 'false'); button.focus(); } }, t('form.cancel')));
    const first = f.querySelector('input, select, textarea, button');
    if (first) first.focus();
  }
  async function submit(name, body, el) {
    const button = el.querySelector('button[type=submit]');
    button.disabled = true;
    const r = await api.post(`/v1/items/${encodeURIComponent(item.item_id)}/${name}`, body);
    button.disabled = false;
    if (r.ok) {
      const to = (r.data && r.data.addressees) || [];
      notify(to.length
        ? t('case.consent_sent_to', { agencies: to.flatMap((a) => (a.agencies && a.agencies.length ? a.agencies : [a.to])).join(', ') })
        : t('case.step_sent', { action: t(`action.${name}`) }));
      fill(panel);
      refresh();
      return;
    }
    const id = actions.fieldId(name, item.item_id, r.error.field);
    const label = id ? t(`field.${String(r.error.field).split(/[.[]/)[0]}`) : '';
    showErrors(el, [{ id, text: `${errorText(r.error, label)} ${r.error.message ? `(${r.error.message})` : ''}`.trim() }]);
  }
  return h('div', { class: 'actions' }, h('div', { class: 'buttons', role: 'group', 'aria-label': t('case.actions') }, buttons), panel);
}

function itemSection(item, refresh) {
  return h('section', { class: `item item-${item.kind}${item.overdue ? ' is-overdue' : ''}`, id: `item-${item.item_id}`, 'data-state': item.state },
    h('h2', {}, codeName('kind', item.kind), ' ', stateBadge(item.state), item.overdue ? h('span', { class: 'badge overdue' }, t('case.overdue')) : null),
    itemFacts(item),
    actionBar(item, refresh));
}

export async function render(main, params) {
  const caseId = params[0] || '';
  fill(main, h('h1', {}, t('case.title', { id: caseId })), loading());
  let busy = false;
  async function refresh() {
    if (busy) return;
    busy = true;
    const r = await api.get(`/v1/cases/${encodeURIComponent(caseId)}${api.query({ justification: session.worker() ? '' : sessionStorage.getItem('lintas.justification') || '' })}`);
    busy = false;
    if (!r.ok) {
      if (!r.aborted) fill(main, h('h1', {}, t('case.title', { id: caseId })), failure(r.error));
      return;
    }
    const kase = r.data;
    // Keep an open action form across a live refresh: only redraw when none is open.
    if (main.querySelector('.action-panel form')) return;
    fill(main,
      h('p', { class: 'back' }, h('a', { href: '#/inbox' }, t('case.back'))),
      h('h1', {}, t('case.title', { id: kase.case_id }), ' ', stateBadge(kase.state)),
      kase.erased ? h('p', { class: 'erased notice' }, t('case.erased', {
        date: formatTime(kase.erased.at_us), agency: party(kase.erased.by), justification: kase.erased.justification || '' })) : null,
      facts([
        [t('case.parties'), h('ul', { class: 'plain' }, (kase.parties || []).map((p) => h('li', {}, party(p))))],
        [t('case.references'), references(kase)],
      ]),
      (kase.items || []).map((item) => itemSection(item, refresh)),
      h('h2', {}, t('case.thread_title')),
      thread(kase));
  }
  await refresh();
  return { refresh };
}
