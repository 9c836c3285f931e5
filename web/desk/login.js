// The sign-in view: username and password, a refusal shown under the form. The markup is in index.html; `ui` holds
// loginView, loginForm, loginUsername, loginPassword, loginError, deskView.

import { ApiError } from '/widget/connection.js';
import { signIn } from '/desk/api.js';
import { saveSession } from '/desk/session.js';
import { hide, showText } from '/desk/notices.js';

// api: the REST base URL; onSubmit() runs on the click (a user gesture); onSession(session) once signed in.
export function createLogin(ui, { api, onSubmit, onSession }) {
  async function login(username, password) {
    hide(ui.loginError);
    try {
      const session = await signIn(api, username, password);
      saveSession(session);
      ui.loginPassword.value = '';
      onSession(session);
    } catch (error) {
      const unauthorized = error instanceof ApiError && (error.status === 401 || error.status === 403);
      showText(ui.loginError, unauthorized ? 'Wrong username or password.' : `Sign-in failed: ${error.message}`);
    }
  }

  function show(message) {
    ui.deskView.hidden = true;
    ui.loginView.hidden = false;
    if (message) showText(ui.loginError, message);
    ui.loginUsername.focus();
  }

  ui.loginForm.addEventListener('submit', (event) => {
    event.preventDefault();
    onSubmit();
    login(ui.loginUsername.value.trim(), ui.loginPassword.value);
  });

  return { show };
}
