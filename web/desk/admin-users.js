// The console's Users page (issue 16, docs/admin.md "Users"): who signs in to the desk, their roles and status, and
// for admins: Invite (email, name, roles: the server mails a temporary password to that address, never to this page),
// each user's roles, Deactivate / Reactivate, Reset password (a new temporary password by email).
//
// GET /users lists them; POST /users invites; PUT /users/{id}/roles; POST /users/{id}/deactivate, /reactivate,
// /reset-password. A refusal names its field (email, name, roles), shown at that input, which gets the focus; the
// server keeps the tenant's last active admin (409, field roles). Supervisors read: no Invite, no buttons (the server
// refuses their writes anyway).

import { html, useEffect, useState } from '/vendor/htm-preact-standalone.module.js';
import { CheckField, TextField, errorOf, focusError } from '/desk/admin-form.js';

const PREFIX = 'au';
const ROLES = [['agent', 'Agent'], ['supervisor', 'Supervisor'], ['admin', 'Admin']];
const STATUS = { invited: 'Invited', confirmed: 'Active', reset: 'Password reset', deactivated: 'Deactivated' };
const INVITE_ID = `${PREFIX}-invite`;
const NO_OUTCOME = { error: null, text: '', busy: false, at: 0 };

const roleNames = (roles) => roles.map((role) => ROLES.find(([id]) => id === role)?.[1] ?? role).join(', ');
const userPath = (id, action) => `/users/${encodeURIComponent(id)}/${action}`;

function Page({ api, canEdit, announce, me }) {
  const [users, setUsers] = useState(null);
  const [failure, setFailure] = useState(null);
  const [editing, setEditing] = useState(null);

  useEffect(() => {
    api.request('GET', '/users').then((listed) => setUsers(listed?.users ?? []),
      (error) => setFailure(`Could not read the users: ${errorOf(error).message}`));
  }, []);

  const saved = (user) => setUsers((all) => (all.some((u) => u.id === user.id)
    ? all.map((u) => (u.id === user.id ? user : u)) : [...all, user]));
  if (failure) return html`<p class="banner waiting-error" role="alert" data-testid="au-failure">${failure}</p>`;
  if (!users) return html`<p role="status">Loading the users…</p>`;
  return html`
    <div class="admin-users" data-testid="admin-users">
      <table class="admin-table" data-testid="au-list">
        <caption class="muted">Who signs in to the desk${canEdit ? '' : ' (only an admin can change them)'}.</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Roles</th>
          <th scope="col">Status</th>${canEdit ? html`<th scope="col">Actions</th>` : null}</tr></thead>
        <tbody>
          ${users.map((user) => html`
            <${UserRow} key=${user.id} user=${user} api=${api} canEdit=${canEdit} announce=${announce}
                        isMe=${user.id === me?.id} editing=${editing === user.id}
                        onEdit=${(on) => setEditing(on ? user.id : null)} onSaved=${saved} />`)}
        </tbody>
      </table>
      ${canEdit ? html`<${InviteForm} api=${api} announce=${announce} onSaved=${saved} />` : null}
    </div>`;
}

function UserRow({ user, api, canEdit, announce, isMe, editing, onEdit, onSaved }) {
  const [outcome, setOutcome] = useState(NO_OUTCOME);
  const rowId = `${PREFIX}-${user.id.replace(/[^A-Za-z0-9]+/g, '-')}`;
  const label = user.name || user.email || user.username;

  async function act(action, done) {
    setOutcome({ ...NO_OUTCOME, text: 'Working…', busy: true });
    try {
      const answer = await api.request('POST', userPath(user.id, action), {});
      onSaved(answer.user);
      setOutcome({ ...NO_OUTCOME, text: done });
      announce?.(done);
    } catch (failure) {
      const { message } = errorOf(failure);
      setOutcome({ ...NO_OUTCOME, error: { field: null, message }, text: `Not done: ${message}`, at: Date.now() });
      announce?.(`Not done: ${message}`);
      document.getElementById(`${rowId}-${action}`)?.focus();
    }
  }

  return html`
    <tr data-testid="au-row" data-user-id=${user.id} data-email=${user.email}>
      <th scope="row">${label}${isMe ? html` <span class="muted">(you)</span>` : null}</th>
      <td>${user.email || '—'}</td>
      <td data-testid="au-row-roles">${roleNames(user.roles)}</td>
      <td data-testid="au-row-status">${STATUS[user.status] ?? user.status}</td>
      ${canEdit ? html`
        <td>
          <div class="admin-actions">
            <button type="button" class="secondary" aria-expanded=${String(editing)} data-testid="au-edit-roles"
                    aria-label=${`Roles of ${label}`} onClick=${() => onEdit(!editing)}>Roles</button>
            ${user.active ? html`
              <button id=${`${rowId}-deactivate`} type="button" class="secondary" data-testid="au-deactivate"
                      aria-label=${`Deactivate ${label}`} disabled=${outcome.busy}
                      onClick=${() => act('deactivate', `${label} is deactivated.`)}>Deactivate</button>
              <button id=${`${rowId}-reset-password`} type="button" class="secondary" data-testid="au-reset"
                      aria-label=${`Reset password of ${label}`} disabled=${outcome.busy}
                      onClick=${() => act('reset-password', `A new temporary password was emailed to ${label}.`)}>
                Reset password</button>`
            : html`
              <button id=${`${rowId}-reactivate`} type="button" class="secondary" data-testid="au-reactivate"
                      aria-label=${`Reactivate ${label}`} disabled=${outcome.busy}
                      onClick=${() => act('reactivate', `${label} is active again.`)}>Reactivate</button>`}
          </div>
          ${editing ? html`<${RolesForm} user=${user} api=${api} announce=${announce} prefix=${rowId}
                                        onSaved=${(changed) => { onSaved(changed); onEdit(false); }} />` : null}
          <p class=${outcome.error ? 'admin-field-error' : 'muted'} role="status" data-testid="au-row-outcome">${
            outcome.text}</p>
        </td>` : null}
    </tr>`;
}

function RolesForm({ user, api, announce, prefix, onSaved }) {
  const [roles, setRoles] = useState(user.roles);
  const [outcome, setOutcome] = useState(NO_OUTCOME);
  const form = { prefix, error: outcome.error, readOnly: false };
  const paths = ROLES.map(([id]) => `roles.${id}`);
  useEffect(() => { if (outcome.at) focusError(form, paths, `${prefix}-save-roles`); }, [outcome.at]);

  async function save(event) {
    event.preventDefault();
    setOutcome({ ...NO_OUTCOME, text: 'Saving…', busy: true });
    try {
      const answer = await api.request('PUT', userPath(user.id, 'roles'), { roles });
      announce?.(`Roles of ${answer.user.name} saved.`);
      onSaved(answer.user);
    } catch (failure) {
      const error = errorOf(failure);
      setOutcome({ ...NO_OUTCOME, error, text: `Not saved: ${error.message}`, at: Date.now() });
      announce?.(`Not saved: ${error.message}`);
    }
  }

  const toggle = (id) => (on) => setRoles(on ? [...roles.filter((r) => r !== id), id] : roles.filter((r) => r !== id));
  return html`
    <form class="admin-roles-form" data-testid="au-roles-form" onSubmit=${save} novalidate>
      <fieldset class="admin-fieldset">
        <legend>Roles of ${user.name || user.email}</legend>
        ${ROLES.map(([id, name]) => html`<${CheckField} key=${id} form=${form} paths=${paths} path=${`roles.${id}`}
          label=${name} checked=${roles.includes(id)} onChange=${toggle(id)} />`)}
      </fieldset>
      <button id=${`${prefix}-save-roles`} type="submit" data-testid="au-save-roles" disabled=${outcome.busy}>
        Save roles</button>
      <p class=${outcome.error ? 'admin-field-error' : 'muted'} role="status">${outcome.text}</p>
    </form>`;
}

function InviteForm({ api, announce, onSaved }) {
  const empty = { email: '', name: '', roles: ['agent'] };
  const [draft, setDraft] = useState(empty);
  const [outcome, setOutcome] = useState(NO_OUTCOME);
  const form = { prefix: PREFIX, error: outcome.error, readOnly: false };
  const paths = ['email', 'name', ...ROLES.map(([id]) => `roles.${id}`)];
  useEffect(() => { if (outcome.at) focusError(form, paths, INVITE_ID); }, [outcome.at]);

  async function invite(event) {
    event.preventDefault();
    setOutcome({ ...NO_OUTCOME, text: 'Inviting…', busy: true });
    try {
      const answer = await api.request('POST', '/users', draft);
      onSaved(answer.user);
      setDraft(empty);
      const text = `${answer.user.name} is invited: their temporary password went to ${answer.user.email}.`;
      setOutcome({ ...NO_OUTCOME, text });
      announce?.(text);
    } catch (failure) {
      const error = errorOf(failure);
      setOutcome({ ...NO_OUTCOME, error, text: `Not invited: ${error.message}`, at: Date.now() });
      announce?.(`Not invited: ${error.message}`);
    }
  }

  const set = (name) => (value) => setDraft({ ...draft, [name]: value });
  const toggle = (id) => (on) => setDraft({ ...draft,
    roles: on ? [...draft.roles.filter((r) => r !== id), id] : draft.roles.filter((r) => r !== id) });
  const common = { form, paths };
  return html`
    <form class="admin-invite" data-testid="au-invite-form" onSubmit=${invite} novalidate
          aria-labelledby="au-invite-title">
      <h4 id="au-invite-title">Invite a user</h4>
      <${TextField} path="email" label="Email" value=${draft.email} onChange=${set('email')} ...${common}
                    input=${{ type: 'email', autocomplete: 'off' }}
                    hint="Their username; the invitation and a temporary password are sent there." />
      <${TextField} path="name" label="Name" value=${draft.name} onChange=${set('name')} ...${common}
                    input=${{ autocomplete: 'off', maxlength: 80 }} />
      <fieldset class="admin-fieldset">
        <legend>Roles</legend>
        ${ROLES.map(([id, name]) => html`<${CheckField} key=${id} path=${`roles.${id}`} label=${name}
          checked=${draft.roles.includes(id)} onChange=${toggle(id)} ...${common} />`)}
      </fieldset>
      <div class="admin-actions">
        <button id=${INVITE_ID} type="submit" data-testid=${INVITE_ID} disabled=${outcome.busy}
                aria-describedby="au-invite-outcome">Invite</button>
      </div>
      <p id="au-invite-outcome" class=${outcome.error ? 'admin-field-error' : 'muted'} role="status"
         data-testid="au-invite-outcome">${outcome.text}</p>
    </form>`;
}

export default { id: 'users', label: 'Users', Page };
