// New referral, information request and alert: forms built from the API's
// rules (docs/API.md, case_actions.cc): required fields marked, a minor
// needs a guardian, consent as checkboxes, destinations from the directory.
// A refusal from the node is shown beside the field it names.
import * as api from '../api.js';
import { CONSENT_ITEMS } from '../actions.js';
import { fill, h } from '../dom.js';
import * as fields from '../fields.js';
import { codeName, t } from '../i18n.js';
import * as session from '../session.js';
import { errorText, failure, loading, notify, showErrors } from '../ui.js';

const PRIORITIES = ['Routine', 'Urgent', 'LifeThreatening'];
const HANDLING = ['H0', 'H1', 'H2', 'H3'];
const SEXES = ['Unknown', 'Female', 'Male', 'Other'];
const EXPLOITATION = ['Unknown', 'ForcedLabour', 'SexualExploitation', 'ForcedMarriage', 'ForcedCriminality',
  'DomesticServitude', 'OrganRemoval', 'ChildSoldiering', 'Other'];
const CATEGORIES = ['MissingPerson', 'SuspectedRoute', 'RecruitmentScam', 'ScamCompound', 'ForcedCriminality',
  'ForcedMarriage', 'ForcedLabour', 'SexualExploitation', 'Other'];
const ROLES = ['police', 'prosecutor', 'social_welfare', 'labour', 'ngo', 'focal_point'];

// Partner countries and their agencies, from GET /v1/directory.
function partners(directory) {
  const byCountry = new Map();
  for (const a of directory.agencies || []) {
    if (a.country === directory.country) continue;
    if (!byCountry.has(a.country)) byCountry.set(a.country, []);
    byCountry.get(a.country).push(a);
  }
  return byCountry;
}

// Destinations by role (resolved by the broker) or by agency, per country.
function destinationSelect(byCountry) {
  const groups = [];
  for (const [country, agencies] of byCountry) {
    const roles = ROLES.filter((r) => agencies.some((a) => (a.roles || []).includes(r)));
    groups.push(h('optgroup', { label: t('compose.by_role', { country: codeName('country', country) }) },
      roles.map((r) => h('option', { value: `${country}/${r}` }, `${codeName('country', country)} · ${codeName('role', r)}`))));
    groups.push(h('optgroup', { label: t('compose.by_agency', { country: codeName('country', country) }) },
      agencies.map((a) => h('option', { value: `${country}/${a.agency}` }, `${a.name} (${a.agency})`))));
  }
  return h('div', { class: 'field' },
    h('label', { for: 'f-to' }, t('field.to'), h('span', { class: 'required' }, ` (${t('form.required')})`)),
    h('p', { class: 'hint', id: 'f-to-hint' }, t('hint.to')),
    h('select', { id: 'f-to', name: 'f-to', required: true, 'aria-describedby': 'f-to-hint f-to-recipients' },
      h('option', { value: '' }, t('form.choose')), groups),
    h('p', { class: 'hint', id: 'f-to-recipients', 'aria-live': 'polite' }));
}

// The agencies an address reaches, as the node and the broker resolve it: a
// named agency, or for COUNTRY/role the designated counterpart, else the
// only agency with the role. Empty when nothing or several (none designated).
function recipientsOf(address, byCountry) {
  const [country, who] = [address.slice(0, 3), address.slice(4)];
  const agencies = byCountry.get(country) || [];
  const named = agencies.filter((a) => a.agency === who);
  if (named.length) return named;
  const designated = agencies.filter((a) => (a.counterpart_for || []).includes(who));
  if (designated.length) return designated;
  return agencies.filter((a) => (a.roles || []).includes(who));
}

// Shows under the addressee who will receive what is sent.
function showRecipients(form, byCountry) {
  const out = form.querySelector('#f-to-recipients');
  const select = form.querySelector('#f-to');
  if (!out || !select) return;
  const address = select.value;
  if (!address) {
    out.textContent = '';
    return;
  }
  const reached = recipientsOf(address, byCountry);
  out.textContent = reached.length === 1
    ? t('compose.recipients', { agencies: `${reached[0].name} (${reached[0].agency})` })
    : t('compose.no_counterpart', { country: codeName('country', address.slice(0, 3)) });
}

const choose = (kind, values) => [['', t('form.choose')], ...fields.codes(kind, values)];
const id = (name) => `f-${name.replace(/[._]/g, '-')}`;
const text = (name, opts = {}) => fields.textField({ id: id(name), label: t(`field.${name}`), ...opts });
const area = (name, opts = {}) => fields.textArea({ id: id(name), label: t(`field.${name}`), ...opts });
const pick = (name, kind, values, opts = {}) => fields.select({ id: id(name), label: t(`field.${name}`), options: opts.noChoice ? fields.codes(kind, values) : choose(kind, values), ...opts });

function commonTail(kind) {
  return [
    pick('priority', 'priority', PRIORITIES, { noChoice: true, value: kind === 'alert' ? 'Urgent' : 'Routine', required: true }),
    kind === 'alert'
      ? text('expires', { hint: t('hint.expires'), maxlength: 64 })
      : text('due', { hint: t('hint.due'), maxlength: 64 }),
    kind === 'alert' ? null : pick('handling', 'handling', HANDLING, { noChoice: true, value: 'H0', hint: t('hint.handling') }),
    kind === 'alert' ? null : text('handling_text', { hint: t('hint.handling_text') }),
  ];
}

function referralFields(byCountry) {
  return [
    destinationSelect(byCountry),
    text('case_id', { required: true, hint: t('hint.case_id'), maxlength: 64 }),
    text('reference', { hint: t('hint.reference'), maxlength: 64 }),
    h('fieldset', { class: 'group' }, h('legend', {}, t('compose.victim')),
      text('victim.pseudonym', { required: true, hint: t('hint.pseudonym'), maxlength: 64 }),
      pick('victim.sex', 'sex', SEXES, { noChoice: true, value: 'Unknown' }),
      text('victim.age', { type: 'number', maxlength: 3 }),
      fields.checkbox({ id: id('victim.age_is_estimate'), label: t('field.victim.age_is_estimate'), checked: true }),
      fields.checkbox({ id: id('victim.minor'), label: t('field.victim.minor') }),
      text('victim.guardian', { hint: t('hint.guardian'), maxlength: 64 }),
      text('victim.guardian_relationship', { maxlength: 64 }),
      text('victim.nationality', { hint: t('hint.nationality'), maxlength: 3 }),
      text('victim.languages', { hint: t('hint.languages'), maxlength: 64 }),
      area('victim.needs', { hint: t('hint.needs'), rows: 2 })),
    fields.checkboxes({ id: id('consent'), legend: t('field.consent'), required: true, hint: t('hint.consent'), options: fields.codes('consent', CONSENT_ITEMS) }),
    pick('exploitation', 'exploitation', EXPLOITATION, { noChoice: true, value: 'Unknown' }),
    area('summary', { required: true, hint: t('hint.summary'), rows: 5 }),
    ...commonTail('referral'),
  ];
}

function requestFields(byCountry) {
  return [
    destinationSelect(byCountry),
    text('case_id', { required: true, hint: t('hint.case_id'), maxlength: 64 }),
    text('reference', { hint: t('hint.reference'), maxlength: 64 }),
    text('subject', { required: true }),
    area('questions', { required: true, hint: t('hint.lines') }),
    text('legal_basis', { hint: t('hint.legal_basis') }),
    ...commonTail('request'),
  ];
}

function alertFields(byCountry) {
  return [
    pick('category', 'category', CATEGORIES, { required: true }),
    fields.checkboxes({ id: id('countries'), legend: t('field.countries'), hint: t('hint.countries'), options: [...byCountry.keys()].map((c) => [c, codeName('country', c)]) }),
    text('title', { required: true, maxlength: 200 }),
    area('description', { rows: 5 }),
    text('case_id', { maxlength: 64 }),
    ...commonTail('alert'),
  ];
}

const v = (form, name) => fields.value(form, id(name));

function referralBody(form) {
  const age = v(form, 'victim.age');
  return {
    to: v(form, 'to'), case_id: v(form, 'case_id'), reference: v(form, 'reference'),
    victim: {
      pseudonym: v(form, 'victim.pseudonym'), sex: v(form, 'victim.sex'),
      age: age === '' ? undefined : Number(age), age_is_estimate: fields.checked(form, id('victim.age_is_estimate')),
      minor: fields.checked(form, id('victim.minor')), guardian: v(form, 'victim.guardian'),
      guardian_relationship: v(form, 'victim.guardian_relationship'), nationality: v(form, 'victim.nationality').toUpperCase(),
      languages: v(form, 'victim.languages').split(/[\s,;]+/).filter(Boolean), needs: fields.lines(v(form, 'victim.needs')),
    },
    consent: fields.checkedValues(form, id('consent')), exploitation: v(form, 'exploitation'), summary: v(form, 'summary'),
    priority: v(form, 'priority'), due: v(form, 'due'), handling: v(form, 'handling'), handling_text: v(form, 'handling_text'),
    language: document.documentElement.lang,
  };
}

function requestBody(form) {
  return {
    to: v(form, 'to'), case_id: v(form, 'case_id'), reference: v(form, 'reference'), subject: v(form, 'subject'),
    questions: fields.lines(v(form, 'questions')), legal_basis: v(form, 'legal_basis'), priority: v(form, 'priority'),
    due: v(form, 'due'), handling: v(form, 'handling'), handling_text: v(form, 'handling_text'),
  };
}

function alertBody(form) {
  return {
    category: v(form, 'category'), countries: fields.checkedValues(form, id('countries')), title: v(form, 'title'),
    description: v(form, 'description'), priority: v(form, 'priority'), expires: v(form, 'expires'), case_id: v(form, 'case_id'),
  };
}

// What the browser can tell before sending: the required fields, a
// guardian for a minor, the handling text of H3.
function check(kind, form, body) {
  const errors = [];
  const need = (name, ok) => { if (!ok) errors.push({ id: id(name), text: t('error.field', { field: t(`field.${name}`), problem: t('form.missing') }) }); };
  if (kind !== 'alert') {
    need('to', body.to);
    need('case_id', body.case_id);
    if (body.handling === 'H3') need('handling_text', body.handling_text);
  }
  if (kind === 'referral') {
    need('victim.pseudonym', body.victim.pseudonym);
    if (!body.consent.length) errors.push({ id: `${id('consent')}-${CONSENT_ITEMS[0]}`, text: t('compose.consent_required') });
    const minor = body.victim.minor || (body.victim.age !== undefined && body.victim.age < 18);
    if (minor && !body.victim.guardian) errors.push({ id: id('victim.guardian'), text: t('compose.guardian_required') });
    if (body.victim.age !== undefined && !(Number.isInteger(body.victim.age) && body.victim.age >= 0 && body.victim.age <= 120)) {
      errors.push({ id: id('victim.age'), text: t('error.field', { field: t('field.victim.age'), problem: t('compose.age_range') }) });
    }
    need('summary', body.summary);
  }
  if (kind === 'request') {
    need('subject', body.subject);
    need('questions', body.questions.length);
  }
  if (kind === 'alert') {
    need('category', body.category);
    need('title', body.title);
  }
  return errors;
}

// Drops empty strings and lists, so that the node applies its defaults.
function prune(o) {
  for (const [k, x] of Object.entries(o)) {
    if (x === '' || x === undefined || (Array.isArray(x) && !x.length && k !== 'consent')) delete o[k];
    else if (x && typeof x === 'object' && !Array.isArray(x)) prune(x);
  }
  return o;
}

const KINDS = {
  referral: { fields: referralFields, body: referralBody, path: '/v1/referrals' },
  request: { fields: requestFields, body: requestBody, path: '/v1/requests' },
  alert: { fields: alertFields, body: alertBody, path: '/v1/alerts' },
};

export async function render(main, params) {
  const kind = KINDS[params[0]] ? params[0] : 'referral';
  const spec = KINDS[kind];
  const title = t(`compose.title.${kind}`);
  fill(main, h('h1', {}, title), loading());
  if (!session.worker()) {
    fill(main, h('h1', {}, title), failure({ code: 'forbidden', message: t('compose.officers_only') }));
    return {};
  }
  const dir = await api.get('/v1/directory');
  if (!dir.ok) {
    fill(main, h('h1', {}, title), failure(dir.error));
    return {};
  }
  const form = h('form', { id: `compose-${kind}`, class: 'compose', novalidate: true },
    h('p', { class: 'hint' }, t('compose.required_note')),
    spec.fields(partners(dir.data)),
    fields.submitButton(t(`compose.send.${kind}`)));
  const byCountry = partners(dir.data);
  form.addEventListener('change', (ev) => { if (ev.target.id === 'f-to') showRecipients(form, byCountry); });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = spec.body(form);
    const errors = check(kind, form, body);
    showErrors(form, errors);
    if (errors.length) return;
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    const r = await api.post(spec.path, prune(body));
    button.disabled = false;
    if (r.ok) {
      const reached = (r.data && r.data.recipients) || [];
      notify(reached.length
        ? t('compose.sent_to', { agencies: reached.map((a) => `${a.name || a.agency} (${a.agency})`).join(', ') })
        : t(`compose.sent.${kind}`));
      location.hash = kind === 'alert' ? '#/alerts' : `#/case/${encodeURIComponent(body.case_id)}`;
      return;
    }
    const name = String(r.error.field || '').replace(/\[\d+\]$/, '');
    const target = name && form.querySelector(`#${CSS.escape(id(name))}`) ? id(name) : null;
    const label = target ? t(`field.${name}`) : '';
    showErrors(form, [{ id: target, text: `${errorText(r.error, label)}${r.error.message ? ` (${r.error.message})` : ''}` }]);
  });
  fill(main, h('h1', {}, title), form);
  return {};
}
