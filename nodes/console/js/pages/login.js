// Logging in: user and password; a lockout or rate limit said in words.
import { fill, h } from '../dom.js';
import * as fields from '../fields.js';
import { t } from '../i18n.js';
import * as session from '../session.js';
import { showErrors } from '../ui.js';

export async function render(main, params, { loggedIn }) {
  if (session.user()) {
    await loggedIn();
    return {};
  }
  const form = h('form', { class: 'narrow', id: 'login-form', novalidate: true },
    fields.textField({ id: 'login-user', label: t('login.user'), required: true, autocomplete: 'username', maxlength: 64 }),
    fields.textField({ id: 'login-password', label: t('login.password'), required: true, type: 'password', autocomplete: 'current-password', maxlength: 1024 }),
    fields.submitButton(t('login.submit')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const user = fields.value(form, 'login-user');
    const password = form.querySelector('#login-password').value;
    const missing = [];
    if (!user) missing.push({ id: 'login-user', text: t('login.user_missing') });
    if (!password) missing.push({ id: 'login-password', text: t('login.password_missing') });
    showErrors(form, missing);
    if (missing.length) return;
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    const r = await session.login(user, password);
    button.disabled = false;
    if (r.ok) {
      await loggedIn();
      return;
    }
    const code = r.error.code;
    const text = code === 'locked_out' ? t('login.locked_out')
      : code === 'rate_limited' ? t('login.rate_limited')
        : code === 'network' ? t('error.network') : t('login.wrong');
    form.querySelector('#login-password').value = '';
    showErrors(form, [{ id: code === 'locked_out' || code === 'rate_limited' ? null : 'login-password', text }]);
  });
  fill(main, h('h1', {}, t('login.title')), h('p', {}, t('login.intro')), form);
  form.querySelector('#login-user').focus();
  return {};
}
