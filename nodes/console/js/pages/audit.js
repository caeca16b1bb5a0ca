// Audit, for the data-protection officer: who viewed a case's events here
// (the node's consultation log, a hash chain the node verifies), who
// received them at the broker (the broker's consultation log, through the
// node's auditor identity), and the verification status of the broker's
// latest signed checkpoint. Every read needs a justification, itself logged.
import * as api from '../api.js';
import { fill, h } from '../dom.js';
import * as fields from '../fields.js';
import { formatTime, t } from '../i18n.js';
import { errorText, failure, loading, showErrors, sortableTable } from '../ui.js';

function chainStatus(chain) {
  return chain.ok
    ? h('p', { class: 'ok', id: 'chain-status' }, t('audit.chain_ok', { n: chain.entries }))
    : h('p', { class: 'failure', role: 'alert', id: 'chain-status' }, t('audit.chain_broken', { seq: chain.first_bad_seq }), ' ', chain.problem || '');
}

function checkpoint(health) {
  const cp = health.broker_checkpoint;
  const rows = [
    [t('audit.node'), `${health.node} (${health.country})`],
    [t('audit.broker_connected'), health.broker_connected ? t('common.yes') : t('common.no')],
    [t('audit.checkpoint'), cp ? t('audit.checkpoint_detail', { size: cp.size, when: formatTime(cp.time_us) }) : t('audit.no_checkpoint')],
    [t('audit.root'), cp ? h('code', {}, cp.root) : ''],
    [t('audit.verification'), health.audit_alarm ? h('span', { class: 'failure' }, t('audit.alarm'), ' ', String(health.audit_alarm))
      : cp ? h('span', { class: 'ok' }, t('audit.verified')) : t('audit.not_yet')],
  ];
  if (health.consultation_log_alarm) rows.push([t('audit.log_alarm'), h('span', { class: 'failure' }, String(health.consultation_log_alarm))]);
  const key = health.broker_signing_key;
  if (key) {
    const config = key.pinned_from === 'config';
    rows.push([t('audit.signing_key'), [h('code', {}, String(key.key)), ' ',
      h('span', { class: config ? 'ok' : 'warning', id: 'signing-key-source' }, t(config ? 'audit.pinned_config' : 'audit.pinned_first_use'))]]);
  }
  const w = health.witnesses;
  if (w) {
    rows.push([t('audit.witnesses'), h('span', { class: w.forks > 0 ? 'failure' : 'ok', id: 'witnesses' },
      t('audit.witnesses_detail', { consistent: w.peers_consistent, forks: w.forks }))]);
  }
  return h('dl', { class: 'facts', id: 'checkpoint' }, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

// The broker's consultation log: which node received (or which auditor
// replayed, proved) the case's events there.
function brokerRecords(r) {
  if (!r.ok) {
    return r.error.field === 'audit_identity' ? h('p', { class: 'hint', id: 'broker-log' }, t('audit.broker_log_note'))
      : h('div', { id: 'broker-log' }, failure(r.error));
  }
  const list = r.data.records || [];
  if (!list.length) return h('p', { class: 'empty', id: 'broker-log' }, t('audit.no_entries'));
  return h('div', { id: 'broker-log' }, sortableTable([
    { label: t('audit.seq'), value: (e) => e.seq, cell: (e) => String(e.seq) },
    { label: t('case.when'), value: (e) => e.time_us, cell: (e) => formatTime(e.time_us) },
    { label: t('audit.node'), value: (e) => e.node_id, cell: (e) => `${e.node_id} (${e.country})` },
    { label: t('audit.action'), value: (e) => e.action, cell: (e) => t(`audit.broker_action.${e.action}`) },
    { label: t('audit.events'), value: (e) => e.offsets.length, cell: (e) => String(e.offsets.length) },
    { label: t('field.justification'), value: (e) => e.justification || e.subscription, cell: (e) => e.justification || (e.subscription ? t('audit.subscription', { name: e.subscription }) : '') },
  ], [...list].reverse(), { caption: t('audit.broker_entries', { identity: r.data.identity }) }));
}

function entries(list) {
  return sortableTable([
    { label: t('audit.seq'), value: (e) => e.seq, cell: (e) => String(e.seq) },
    { label: t('case.when'), value: (e) => e.at_us, cell: (e) => formatTime(e.at_us) },
    { label: t('audit.user'), value: (e) => e.user, cell: (e) => `${e.user} · ${e.agency}` },
    { label: t('audit.action'), value: (e) => e.action, cell: (e) => t(`audit.action.${e.action}`) },
    { label: t('case.case_id'), value: (e) => e.case_id, cell: (e) => e.case_id },
    { label: t('audit.events'), value: (e) => e.event_ids.length, cell: (e) => String(e.event_ids.length) },
    { label: t('field.justification'), value: (e) => e.justification, cell: (e) => e.justification },
  ], [...list].reverse(), { caption: t('audit.entries') });
}

export async function render(main) {
  fill(main, h('h1', {}, t('audit.title')), loading());
  const health = await api.get('/v1/health');
  const form = h('form', { id: 'audit-form', novalidate: true },
    fields.textField({ id: 'audit-justification', label: t('field.justification'), required: true, hint: t('hint.justification'), value: sessionStorage.getItem('lintas.justification') || '', maxlength: 1000 }),
    fields.textField({ id: 'audit-case', label: t('case.case_id'), maxlength: 64 }),
    fields.textField({ id: 'audit-user', label: t('audit.user'), maxlength: 64 }),
    fields.textField({ id: 'audit-from', label: t('field.from'), hint: t('hint.when'), maxlength: 64 }),
    fields.submitButton(t('audit.show')));
  const results = h('div', { id: 'audit-results' });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const justification = fields.value(form, 'audit-justification');
    if (!justification) {
      showErrors(form, [{ id: 'audit-justification', text: t('error.field', { field: t('field.justification'), problem: t('form.missing') }) }]);
      return;
    }
    showErrors(form, []);
    sessionStorage.setItem('lintas.justification', justification);
    fill(results, loading());
    const caseId = fields.value(form, 'audit-case');
    const [r, broker] = await Promise.all([
      api.get(`/v1/audit/local${api.query({ justification, case: caseId, user: fields.value(form, 'audit-user'), from: fields.value(form, 'audit-from') })}`),
      api.get(`/v1/audit/broker${api.query({ justification, case: caseId })}`)]);
    fill(results,
      h('h3', {}, t('audit.local_title')),
      !r.ok ? failure(r.error) : [chainStatus(r.data.chain), (r.data.entries || []).length ? entries(r.data.entries) : h('p', { class: 'empty' }, t('audit.no_entries'))],
      h('h3', {}, t('audit.broker_title')),
      brokerRecords(broker));
  });
  fill(main, h('h1', {}, t('audit.title')),
    h('h2', {}, t('audit.checkpoint_title')),
    health.ok ? checkpoint(health.data) : failure(health.error),
    h('h2', {}, t('audit.log_title')), form, results);
  return {};
}
