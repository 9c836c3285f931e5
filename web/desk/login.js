// The sign-in view: username and password, a refusal shown under the form. The Login component is drawn into
// `ui.loginSlot` (before any desk, so from the view's own state: shown, error); showing it hides `ui.deskView`.

import { ApiError } from '/widget/connection.js';
import { html, render } from '/vendor/htm-preact-standalone.module.js';
import { signIn } from '/desk/api.js';
import { saveSession } from '/desk/session.js';

// api: the REST base URL; onSubmit() runs on the click (a user gesture); onSession(session) once signed in.
export function createLogin(ui, { api, onSubmit, onSession }) {
  let view = { shown: false, error: '' };
  const username = { current: null };
  const password = { current: null };

  function update(patch) {
    view = { ...view, ...patch };
    render(html`<${Login} ...${view} username=${username} password=${password} onLogin=${submit} />`, ui.loginSlot);
  }

  function submit() {
    onSubmit();
    login(username.current.value.trim(), password.current.value);
  }

  async function login(name, secret) {
    update({ error: '' });
    try {
      const session = await signIn(api, name, secret);
      saveSession(session);
      password.current.value = '';
      onSession(session);
    } catch (error) {
      const unauthorized = error instanceof ApiError && (error.status === 401 || error.status === 403);
      update({ error: unauthorized ? 'Wrong username or password.' : `Sign-in failed: ${error.message}` });
    }
  }

  function show(message) {
    ui.deskView.hidden = true;
    update({ shown: true, ...(message ? { error: message } : {}) });
    username.current.focus();
  }

  function hide() {
    update({ shown: false });
  }

  update({});
  return { show, hide };
}

// The fields are uncontrolled (a redraw never resets what is typed); `username` and `password` are their refs.
function Login({ shown, error, username, password, onLogin }) {
  const submit = (event) => {
    event.preventDefault();
    onLogin();
  };
  return html`
    <section id="login-view" class="login" aria-labelledby="login-title" hidden=${!shown}>
      <form id="login-form" class="login-form" onSubmit=${submit}>
        <h1 id="login-title">Guichet desk</h1>
        <label for="login-username">Username</label>
        <input id="login-username" name="username" data-testid="login-username" autocomplete="username" required
               ref=${username} />
        <label for="login-password">Password</label>
        <input id="login-password" name="password" type="password" data-testid="login-password"
               autocomplete="current-password" required ref=${password} />
        <button type="submit" data-testid="login-submit">Sign in</button>
        <p id="login-error" class="error" data-testid="login-error" role="alert" hidden=${!error}>${error}</p>
      </form>
    </section>`;
}
