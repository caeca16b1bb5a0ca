// The user's account: who they are, their language (kept by the node), and
// a new password (which ends their other sessions).
import * as api from '../api.js';
import { fill, h } from '../dom.js';
import * as fields from '../fields.js';
import { codeName, LANGUAGES, setLanguage, t } from '../i18n.js';
import * as session from '../session.js';
import { errorText, notify, showErrors } from '../ui.js';

export async function render(main, params, { loggedIn }) {
  const u = session.user();
  const lang = fields.select({ id: 'account-language', label: t('account.language'), options: LANGUAGES.map((l) => [l, t(`language.${l}`)]), value: u.language || 'en' });
  const langForm = h('form', { id: 'language-form', novalidate: true }, lang, fields.submitButton(t('account.save_language')));
  langForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const value = fields.value(langForm, 'account-language');
    const r = await api.put('/v1/me/language', { language: value });
    if (!r.ok) {
      showErrors(langForm, [{ id: 'account-language', text: errorText(r.error, t('account.language')) }]);
      return;
    }
    u.language = value;
    await setLanguage(value);
    notify(t('account.language_saved'));
    await loggedIn();
    location.hash = '#/account';
  });
  const pw = h('form', { id: 'password-form', novalidate: true },
    fields.textField({ id: 'old-password', label: t('account.old_password'), required: true, type: 'password', autocomplete: 'current-password', maxlength: 1024 }),
    fields.textField({ id: 'new-password', label: t('account.new_password'), required: true, type: 'password', autocomplete: 'new-password', hint: t('hint.new_password'), maxlength: 1024 }),
    fields.textField({ id: 'new-password-again', label: t('account.new_password_again'), required: true, type: 'password', autocomplete: 'new-password', maxlength: 1024 }),
    fields.submitButton(t('account.change_password')));
  pw.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const get = (id) => pw.querySelector(`#${id}`).value;
    const errors = [];
    if (!get('old-password')) errors.push({ id: 'old-password', text: t('error.field', { field: t('account.old_password'), problem: t('form.missing') }) });
    if (!get('new-password')) errors.push({ id: 'new-password', text: t('error.field', { field: t('account.new_password'), problem: t('form.missing') }) });
    else if (get('new-password') !== get('new-password-again')) errors.push({ id: 'new-password-again', text: t('account.passwords_differ') });
    showErrors(pw, errors);
    if (errors.length) return;
    const r = await api.post('/v1/me/password', { old_password: get('old-password'), new_password: get('new-password') });
    for (const el of pw.querySelectorAll('input')) el.value = '';
    if (r.ok) {
      if (r.data && r.data.csrf_token) api.setCsrf(r.data.csrf_token);
      notify(t('account.password_changed'));
      return;
    }
    const id = r.error.field === 'old_password' ? 'old-password' : r.error.field === 'new_password' ? 'new-password' : null;
    showErrors(pw, [{ id, text: `${errorText(r.error, id ? t(`account.${r.error.field}`) : '')}${r.error.message ? ` (${r.error.message})` : ''}` }]);
  });
  fill(main, h('h1', {}, t('account.title')),
    h('dl', { class: 'facts' },
      h('dt', {}, t('account.user')), h('dd', {}, u.id),
      h('dt', {}, t('account.agency')), h('dd', {}, u.agency),
      h('dt', {}, t('account.roles')), h('dd', {}, (u.roles || []).map((r) => codeName('user_role', r)).join(', '))),
    h('h2', {}, t('account.language')), langForm,
    h('h2', {}, t('account.password_title')), pw);
  return {};
}
