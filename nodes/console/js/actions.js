// The steps of an item (POST /v1/items/{id}/{action}, docs/API.md): which
// ones a side may take in which state (the node's rules, case_answers.cc),
// and the form of each. The server checks all of it again.
import { h } from './dom.js';
import * as fields from './fields.js';
import { t } from './i18n.js';

export const DECLINE_REASONS = ['NotCompetent', 'InsufficientInformation', 'NoConsent', 'OutOfScope', 'Duplicate', 'Other'];
export const REFUSAL_REASONS = ['LegalRestriction', 'OngoingInvestigation', 'NotHeld', 'Disproportionate', 'NoLegalBasis', 'Other'];
export const OUTCOMES = ['Reintegrated', 'Returned', 'Declined', 'ConsentWithdrawn', 'Transferred', 'Other'];
export const CONSENT_ITEMS = ['Identity', 'ReturnLogistics', 'Health', 'Photograph', 'Testimony', 'Biometrics', 'ContactFamily'];

const UNDECIDED = ['sent', 'delivered', 'received', 'acknowledged', 'clarification'];
const OPEN_REQUEST = ['requested', 'delayed'];

// action: [kind ('referral', 'request', 'any'), origin may, counterpart may, states (null: any open)]
const RULES = {
  acknowledge: ['any', false, true, null],
  accept: ['referral', false, true, UNDECIDED],
  decline: ['referral', false, true, UNDECIDED],
  clarify: ['referral', false, true, UNDECIDED],
  answer: ['referral', true, false, ['clarification']],
  assign: ['any', true, true, null],
  extend: ['any', true, false, null],
  consent: ['referral', true, false, null],
  'plan-return': ['referral', true, true, ['accepted', 'return_planned']],
  returned: ['referral', true, true, ['return_planned']],
  delay: ['request', false, true, OPEN_REQUEST],
  provide: ['request', false, true, OPEN_REQUEST],
  refuse: ['request', false, true, OPEN_REQUEST],
  close: ['any', true, true, null],
};

// The actions the user's side may take on this item now.
export function allowed(item) {
  if (!item || item.kind === 'alert' || item.state === 'closed') return [];
  const origin = item.direction === 'outgoing';
  // One acknowledgement per agency (a second is refused as a conflict).
  const acknowledged = (item.acks || []).some((a) => a.agency === item.local_agency);
  return Object.entries(RULES).filter(([name, [kind, o, c, states]]) => (kind === 'any' || kind === item.kind)
    && (origin ? o : c) && (!states || states.includes(item.state))
    && !(name === 'acknowledge' && acknowledged)).map(([name]) => name);
}

const text = (name, opts = {}) => ({ name, kind: 'text', ...opts });
const area = (name, opts = {}) => ({ name, kind: 'area', ...opts });
const code = (name, kind, values, opts = {}) => ({ name, kind: 'code', codeKind: kind, values, ...opts });

// The fields of each action's form, as the API names them.
const FORMS = {
  acknowledge: [area('note'), text('reference', { maxlength: 64 })],
  accept: [area('note')],
  decline: [code('reason', 'decline', DECLINE_REASONS, { required: true }), area('note'), text('suggested', { hint: true })],
  clarify: [area('questions', { required: true, list: true, hint: true })],
  answer: [area('text', { required: true })],
  assign: [text('officer', { required: true, maxlength: 64 })],
  extend: [text('due', { required: true, hint: true }), area('reason')],
  consent: [{ name: 'withdraw', kind: 'checks', values: CONSENT_ITEMS, required: true }],
  'plan-return': [text('checkpoint', { required: true }), text('on', { required: true, hint: true }), text('escort_agency')],
  returned: [text('checkpoint', { required: true }), text('on', { hint: true }), text('received_by')],
  delay: [area('reason', { required: true }), text('until', { required: true, hint: true })],
  provide: [area('content', { required: true, rows: 6 })],
  refuse: [code('reason', 'refusal', REFUSAL_REASONS, { required: true }), area('note')],
  close: [code('outcome', 'outcome', OUTCOMES, { required: true }), area('note')],
};

function control(action, f, itemId) {
  const id = `${action}-${f.name}-${itemId}`;
  const label = t(`field.${f.name}`);
  const hint = f.hint ? t(`hint.${action}.${f.name}`) : undefined;
  if (f.kind === 'area') return fields.textArea({ id, label, required: f.required, hint, rows: f.rows || 3 });
  if (f.kind === 'code') {
    return fields.select({ id, label, required: f.required, hint, options: [['', t('form.choose')], ...fields.codes(f.codeKind, f.values)] });
  }
  if (f.kind === 'checks') return fields.checkboxes({ id, legend: label, options: fields.codes('consent', f.values) });
  return fields.textField({ id, label, required: f.required, hint, maxlength: f.maxlength || 1000 });
}

// The form of one action; onSubmit(body, form) gets the request body or
// is not called when a required field is empty (the form shows why).
export function form(action, itemId, onSubmit, showErrors) {
  const spec = FORMS[action] || [];
  const el = h('form', { class: 'action-form', id: `form-${action}-${itemId}`, novalidate: true },
    spec.map((f) => control(action, f, itemId)),
    fields.submitButton(t(`action.${action}`)));
  el.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const body = {};
    const missing = [];
    for (const f of spec) {
      const id = `${action}-${f.name}-${itemId}`;
      let v;
      if (f.kind === 'checks') v = fields.checkedValues(el, id);
      else if (f.list) v = fields.lines(fields.value(el, id));
      else v = fields.value(el, id);
      const empty = Array.isArray(v) ? v.length === 0 : v === '';
      if (f.required && empty) {
        missing.push({ id: f.kind === 'checks' ? `${id}-${f.values[0]}` : id, text: t('error.field', { field: t(`field.${f.name}`), problem: t('form.missing') }) });
      }
      if (!empty) body[f.name] = v;
    }
    showErrors(el, missing);
    if (!missing.length) onSubmit(body, el);
  });
  return el;
}

// The id of the control of an API field in an action form (server errors).
export function fieldId(action, itemId, field) {
  const name = String(field || '').split(/[.[]/)[0];
  return (FORMS[action] || []).some((f) => f.name === name) ? `${action}-${name}-${itemId}` : null;
}
