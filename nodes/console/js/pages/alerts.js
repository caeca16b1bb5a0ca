// Alerts: active, expired and cancelled, in tabs; the publishing agency
// cancels its own. The node's subscriptions (what alerts it receives):
// supervisors add and remove them.
import * as api from '../api.js';
import { fill, h } from '../dom.js';
import * as fields from '../fields.js';
import { codeName, formatTime, t } from '../i18n.js';
import * as session from '../session.js';
import { countdown, errorText, failure, loading, notify, party, priorityBadge, showErrors, sortableTable, stateBadge } from '../ui.js';

const STATES = ['active', 'expired', 'cancelled'];
const CATEGORIES = ['MissingPerson', 'SuspectedRoute', 'RecruitmentScam', 'ScamCompound', 'ForcedCriminality',
  'ForcedMarriage', 'ForcedLabour', 'SexualExploitation', 'Other'];
const PRIORITIES = ['Routine', 'Urgent', 'LifeThreatening'];

function cancelForm(alert, refresh) {
  const form = h('form', { class: 'inline', novalidate: true },
    fields.textField({ id: `cancel-reason-${alert.item_id}`, label: t('field.reason'), maxlength: 1000 }),
    fields.submitButton(t('alerts.cancel')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const r = await api.post(`/v1/alerts/${encodeURIComponent(alert.item_id)}/cancel`, { reason: fields.value(form, `cancel-reason-${alert.item_id}`) });
    if (r.ok) {
      notify(t('alerts.cancelled'));
      refresh();
    } else {
      showErrors(form, [{ id: null, text: `${errorText(r.error)} (${r.error.message || ''})` }]);
    }
  });
  return form;
}

function alertCard(a, refresh) {
  const own = a.direction === 'outgoing' && session.worker() && a.origin && a.origin.agency === session.user().agency;
  return h('article', { class: `alert-card state-${a.state}`, id: `alert-${a.item_id}` },
    h('h3', {}, priorityBadge(a.priority), ' ', codeName('category', a.category), ' · ', a.title || ''),
    h('p', { class: 'meta' }, party(a.origin), ' · ', formatTime(a.created_at_us), ' · ', stateBadge(a.state),
      a.state === 'active' && a.expires_at_us ? [' · ', t('alerts.expires'), ' ', countdown(a.expires_at_us)] : null),
    h('p', { class: 'meta' }, a.regional ? t('alerts.regional') : (a.countries || []).map((c) => codeName('country', c)).join(', ')),
    a.description ? h('p', { class: 'free-text' }, a.description) : null,
    a.state === 'cancelled' ? h('p', { class: 'meta' }, t('alerts.cancelled_by', { who: a.cancelled_by || '', when: formatTime(a.cancelled_at_us) }), ' ', a.cancel_reason || '') : null,
    own && a.state === 'active' ? cancelForm(a, refresh) : null);
}

function subscriptions(list, refresh) {
  const manage = session.has('supervisor') || session.has('admin');
  const table = sortableTable([
    { label: t('field.name'), value: (s) => s.name, cell: (s) => s.name },
    { label: t('field.alert_categories'), value: (s) => s.alert_categories.join(), cell: (s) => (s.alert_categories.length ? s.alert_categories.map((c) => codeName('category', c)).join(', ') : t('common.all')) },
    { label: t('field.origin_countries'), value: (s) => s.origin_countries.join(), cell: (s) => (s.origin_countries.length ? s.origin_countries.map((c) => codeName('country', c)).join(', ') : t('common.all')) },
    { label: t('field.min_priority'), value: (s) => s.min_priority, cell: (s) => codeName('priority', s.min_priority) },
    { label: '', value: () => 0, cell: (s) => (manage && s.name !== 'inbox' ? h('button', { type: 'button', class: 'link', onclick: () => remove(s.name) }, t('alerts.unsubscribe')) : '') },
  ], list, { caption: t('alerts.subscriptions') });
  async function remove(name) {
    const r = await api.del(`/v1/subscriptions/${encodeURIComponent(name)}`);
    notify(r.ok ? t('alerts.unsubscribed') : errorText(r.error));
    refresh();
  }
  if (!manage) return table;
  const form = h('form', { id: 'subscribe-form', novalidate: true },
    fields.textField({ id: 'sub-name', label: t('field.name'), required: true, hint: t('hint.subscription_name'), maxlength: 64 }),
    fields.checkboxes({ id: 'sub-categories', legend: t('field.alert_categories'), hint: t('hint.all_if_none'), options: fields.codes('category', CATEGORIES) }),
    fields.textField({ id: 'sub-origins', label: t('field.origin_countries'), hint: t('hint.countries_codes'), maxlength: 200 }),
    fields.select({ id: 'sub-priority', label: t('field.min_priority'), options: fields.codes('priority', PRIORITIES), value: 'Routine' }),
    fields.submitButton(t('alerts.subscribe')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = fields.value(form, 'sub-name');
    if (!/^[a-z0-9_.-]{1,64}$/.test(name)) {
      showErrors(form, [{ id: 'sub-name', text: t('error.field', { field: t('field.name'), problem: t('hint.subscription_name') }) }]);
      return;
    }
    const r = await api.post('/v1/subscriptions', {
      name, alert_categories: fields.checkedValues(form, 'sub-categories'), min_priority: fields.value(form, 'sub-priority'),
      origin_countries: fields.value(form, 'sub-origins').toUpperCase().split(/[\s,;]+/).filter(Boolean),
    });
    if (r.ok) {
      notify(t('alerts.subscribed'));
      refresh();
      return;
    }
    const map = { name: 'sub-name', alert_categories: 'sub-categories-MissingPerson', min_priority: 'sub-priority', origin_countries: 'sub-origins' };
    showErrors(form, [{ id: map[r.error.field] || null, text: `${errorText(r.error)} (${r.error.message || ''})` }]);
  });
  return [table, h('h3', {}, t('alerts.subscribe_title')), form];
}

export async function render(main, params) {
  let state = STATES.includes(params[0]) ? params[0] : 'active';
  fill(main, h('h1', {}, t('alerts.title')), loading());
  async function refresh() {
    if (main.querySelector('form input:focus, form textarea:focus')) return;  // do not wipe what is being typed
    const [alerts, subs] = await Promise.all([api.get(`/v1/alerts?state=${state}`), api.get('/v1/subscriptions')]);
    const tabs = h('div', { class: 'tabs', role: 'tablist' }, STATES.map((s) => h('a', {
      href: `#/alerts/${s}`, role: 'tab', 'aria-selected': String(s === state), id: `tab-${s}`,
    }, codeName('alert_state', s))));
    fill(main, h('h1', {}, t('alerts.title')), tabs,
      !alerts.ok ? failure(alerts.error)
        : (alerts.data.alerts || []).length ? h('div', { class: 'alerts', id: 'alert-list' }, alerts.data.alerts.map((a) => alertCard(a, refresh)))
          : h('p', { class: 'empty' }, t('alerts.none')),
      h('h2', {}, t('alerts.subscriptions')),
      subs.ok ? subscriptions(subs.data.subscriptions || [], refresh) : failure(subs.error));
  }
  await refresh();
  return { refresh };
}
