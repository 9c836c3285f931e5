// The sign-in view: username and password, a refusal shown under the form. The Login component is drawn into
// `ui.loginSlot` (before any desk, so from the view's own state: shown, error); showing it hides `ui.deskView`.
// A user signing in with a temporary password (invited, or reset by an admin: docs/admin.md "Users") is then asked
// for their own password, twice; once set, they are signed in as usual.

import { ApiError } from '/widget/connection.js';
import { html, render } from '/vendor/htm-preact-standalone.module.js';
import { setNewPassword, signIn } from '/desk/api.js';
import { saveSession } from '/desk/session.js';

// api: the REST base URL; onSubmit() runs on the click (a user gesture); onSession(session) once signed in.
export function createLogin(ui, { api, onSubmit, onSession }) {
  // challenge: { session, username } while the user must choose a password; wrong: which new-password box is at
  // fault ('new' or 'repeat').
  let view = { shown: false, error: '', challenge: null, wrong: null };
  const username = { current: null };
  const password = { current: null };
  const chosen = { current: null };
  const repeated = { current: null };

  function update(patch) {
    view = { ...view, ...patch };
    render(html`<${Login} ...${view} username=${username} password=${password} chosen=${chosen} repeated=${repeated}
                          onLogin=${submit} onNewPassword=${choose} />`, ui.loginSlot);
  }

  function submit() {
    onSubmit();
    login(username.current.value.trim(), password.current.value);
  }

  async function login(name, secret) {
    update({ error: '' });
    try {
      const answer = await signIn(api, name, secret);
      password.current.value = '';
      if (answer.challenge) {
        update({ challenge: { session: answer.session, username: answer.username }, wrong: null });
        chosen.current?.focus();
        return;
      }
      signedIn(answer);
    } catch (error) {
      const unauthorized = error instanceof ApiError && (error.status === 401 || error.status === 403);
      update({ error: unauthorized ? 'Wrong username or password.' : `Sign-in failed: ${error.message}` });
    }
  }

  async function choose() {
    onSubmit();
    const first = chosen.current.value;
    if (first !== repeated.current.value) {
      update({ error: 'The two passwords differ: type the same one twice.', wrong: 'repeat' });
      repeated.current.focus();
      return;
    }
    update({ error: '', wrong: null });
    try {
      const session = await setNewPassword(api, view.challenge.username, view.challenge.session, first);
      chosen.current.value = '';
      repeated.current.value = '';
      update({ challenge: null });
      signedIn(session);
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) {
        update({ error: error.message, wrong: 'new' });
        chosen.current.focus();
      } else {
        const expired = error instanceof ApiError && error.status === 401;
        update({ challenge: null, wrong: null,
          error: expired ? 'This sign-in has expired: sign in again.' : `Sign-in failed: ${error.message}` });
        username.current.focus();
      }
    }
  }

  function signedIn(session) {
    saveSession(session);
    onSession(session);
  }

  function show(message) {
    ui.deskView.hidden = true;
    update({ shown: true, challenge: null, wrong: null, ...(message ? { error: message } : {}) });
    username.current.focus();
  }

  function hide() {
    update({ shown: false });
  }

  update({});
  return { show, hide };
}

// The fields are uncontrolled (a redraw never resets what is typed); `username`, `password`, `chosen` and `repeated`
// are their refs.
function Login({ shown, error, challenge, wrong, username, password, chosen, repeated, onLogin, onNewPassword }) {
  const submit = (event) => {
    event.preventDefault();
    onLogin();
  };
  const submitNew = (event) => {
    event.preventDefault();
    onNewPassword();
  };
  const invalid = (which) => (wrong === which ? 'true' : undefined);
  const described = (which) => ['new-password-hint', wrong === which ? 'login-error' : ''].filter(Boolean).join(' ');
  return html`
    <section id="login-view" class="login" aria-labelledby="login-title" hidden=${!shown}>
      <form id="login-form" class="login-form" onSubmit=${submit} hidden=${Boolean(challenge)}>
        <h1 id="login-title">Guichet desk</h1>
        <label for="login-username">Username</label>
        <input id="login-username" name="username" data-testid="login-username" autocomplete="username" required
               ref=${username} />
        <label for="login-password">Password</label>
        <input id="login-password" name="password" type="password" data-testid="login-password"
               autocomplete="current-password" required ref=${password} />
        <button type="submit" data-testid="login-submit">Sign in</button>
        ${challenge ? null : html`<p id="login-error" class="error" data-testid="login-error" role="alert"
                                     hidden=${!error}>${error}</p>`}
      </form>
      <form id="new-password-form" class="login-form" onSubmit=${submitNew} hidden=${!challenge}
            aria-labelledby="new-password-title" data-testid="new-password-form">
        <h1 id="new-password-title">Choose your password</h1>
        <p id="new-password-hint" class="muted">Your temporary password worked. Choose your own: 12 characters or
          more, with upper and lower case letters and a digit.</p>
        <input type="text" name="username" autocomplete="username" value=${challenge?.username ?? ''} hidden
               readonly />
        <label for="new-password">New password</label>
        <input id="new-password" name="new-password" type="password" data-testid="new-password"
               autocomplete="new-password" required ref=${chosen} aria-invalid=${invalid('new')}
               aria-describedby=${described('new')} />
        <label for="new-password-repeat">Repeat the new password</label>
        <input id="new-password-repeat" name="new-password-repeat" type="password" data-testid="new-password-repeat"
               autocomplete="new-password" required ref=${repeated} aria-invalid=${invalid('repeat')}
               aria-describedby=${described('repeat')} />
        <button type="submit" data-testid="new-password-submit">Set my password and sign in</button>
        ${challenge ? html`<p id="login-error" class="error" data-testid="login-error" role="alert"
                              hidden=${!error}>${error}</p>` : null}
      </form>
    </section>`;
}
