// Form controls, labels above inputs, required ones marked, a hint below the
// label (GOV.UK pattern). Each control has an id, so that an error summary
// can link to it.
import { h } from './dom.js';
import { codeName, t } from './i18n.js';

function label(id, text, required) {
  return h('label', { for: id }, text, required ? h('span', { class: 'required' }, ` (${t('form.required')})`) : null);
}

function hint(id, text) { return text ? h('p', { class: 'hint', id: `${id}-hint` }, text) : null; }

export function textField({ id, label: text, required, hint: help, type = 'text', value = '', autocomplete, maxlength = 1000 }) {
  return h('div', { class: 'field' }, label(id, text, required), hint(id, help),
    h('input', { id, name: id, type, value, required, autocomplete, maxlength, 'aria-describedby': help ? `${id}-hint` : null }));
}

export function textArea({ id, label: text, required, hint: help, value = '', rows = 4, maxlength = 20000 }) {
  const area = h('textarea', { id, name: id, rows, required, maxlength, 'aria-describedby': help ? `${id}-hint` : null });
  area.value = value;
  return h('div', { class: 'field' }, label(id, text, required), hint(id, help), area);
}

// options: [[value, text], ...]
export function select({ id, label: text, required, hint: help, options, value }) {
  return h('div', { class: 'field' }, label(id, text, required), hint(id, help),
    h('select', { id, name: id, required },
      options.map(([v, name]) => h('option', { value: v, selected: v === value }, name))));
}

// Options of a code list in the user's language: codes('priority', [...]).
export function codes(kind, values) { return values.map((v) => [v, codeName(kind, v)]); }

export function checkbox({ id, label: text, checked }) {
  return h('div', { class: 'field check' }, h('input', { id, name: id, type: 'checkbox', checked }), h('label', { for: id }, text));
}

// A group of checkboxes: options [[value, text]]; ids `${id}-${value}`.
export function checkboxes({ id, legend, hint: help, options, checked = [], required }) {
  return h('fieldset', { class: 'field', id },
    h('legend', {}, legend, required ? h('span', { class: 'required' }, ` (${t('form.required')})`) : null), hint(id, help),
    options.map(([v, text]) => h('div', { class: 'check' },
      h('input', { id: `${id}-${v}`, name: id, type: 'checkbox', value: v, checked: checked.includes(v) }),
      h('label', { for: `${id}-${v}` }, text))));
}

export function value(form, id) {
  const el = form.querySelector(`#${CSS.escape(id)}`);
  return el ? el.value.trim() : '';
}

export function checked(form, id) {
  const el = form.querySelector(`#${CSS.escape(id)}`);
  return !!(el && el.checked);
}

export function checkedValues(form, id) {
  return [...form.querySelectorAll(`input[name="${CSS.escape(id)}"]:checked`)].map((el) => el.value);
}

// Lines of a text area, empty ones dropped.
export function lines(text) { return text.split('\n').map((s) => s.trim()).filter(Boolean); }

export function submitButton(text) { return h('button', { type: 'submit', class: 'primary' }, text); }
