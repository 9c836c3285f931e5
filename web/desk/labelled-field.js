// Labelled controls that show the server's error for their own setting, shared by every settings form of the desk:
// the console's pages (admin-form.js, admin-look-form.js, admin-routing-fields.js) and the Call settings page
// (call-fields.js). Each of those keeps its own way of naming ids and of deciding which input an error belongs to;
// what a field looks like to a screen reader is decided here once:
//   <div class=…><label for=id>…</label> control <span id=id-hint>hint</span> <span id=id-error>error</span></div>
// The control gets aria-describedby (the hint, the error, and any more text named by `describedBy`) and
// aria-invalid when the error is its own. The error's span has the test id `${id}-error`.

import { html } from '/vendor/htm-preact-standalone.module.js';

// "rules[0].match.queue" under the prefix "rt" -> "rt-rules-0-match-queue": every run of other characters is a "-".
export const pathId = (prefix, path) => `${prefix}-${String(path).replace(/[^A-Za-z0-9]+/g, '-')}`;

// The aria attributes of the control `id`: its hint and error (when shown) describe it; a wrong one is invalid.
export function fieldAria(id, { hint = false, wrong = false, describedBy = '' } = {}) {
  const described = [describedBy, hint ? `${id}-hint` : '', wrong ? `${id}-error` : ''].filter(Boolean).join(' ');
  return { 'aria-describedby': described || undefined, 'aria-invalid': wrong ? 'true' : undefined };
}

// How a family of forms styles its fields: the wrapper's class, a checkbox wrapper's, the hint's, the error's.
export const ADMIN_LOOK = { field: 'admin-field', check: 'admin-field admin-check', hint: 'muted admin-hint',
  error: 'admin-field-error' };

// The hint and the error shown under the control `id` (message: the error's text, or null when none is its own).
export function FieldNotes({ id, hint, message, look = ADMIN_LOOK }) {
  return html`
    ${hint ? html`<span id=${`${id}-hint`} class=${look.hint}>${hint}</span>` : null}
    ${message ? html`<span id=${`${id}-error`} class=${look.error} data-testid=${`${id}-error`}>${message}</span>`
      : null}`;
}

// One labelled control. `input`: the attributes of an <input> (the id, test id and aria are added); or
// `control({ id, aria })` draws another control (a <select>, a <textarea>). `field`: the wrapper's data-field.
export function LabelledField({ id, label, hint, message, describedBy, input = {}, control, className, look = ADMIN_LOOK,
  field }) {
  const aria = fieldAria(id, { hint: Boolean(hint), wrong: Boolean(message), describedBy });
  const drawn = control ? control({ id, aria }) : html`<input id=${id} data-testid=${id} ...${aria} ...${input} />`;
  return html`
    <div class=${className ?? look.field} data-field=${field}>
      <label for=${id}>${label}</label>
      ${drawn}
      <${FieldNotes} id=${id} hint=${hint} message=${message} look=${look} />
    </div>`;
}

// A checkbox, its label after it. `input`: more attributes of the <input> (data-field, disabled, test id…).
export function LabelledCheck({ id, label, hint, message, checked, onChange, input = {}, className, look = ADMIN_LOOK,
  field }) {
  const aria = fieldAria(id, { hint: Boolean(hint), wrong: Boolean(message) });
  return html`
    <div class=${className ?? look.check} data-field=${field}>
      <span>
        <input id=${id} data-testid=${id} type="checkbox" checked=${Boolean(checked)} ...${aria} ...${input}
               onChange=${(e) => onChange(e.currentTarget.checked)} />
        <label for=${id}>${label}</label>
      </span>
      <${FieldNotes} id=${id} hint=${hint} message=${message} look=${look} />
    </div>`;
}

// The attributes of a box for a whole number; an emptied box gives null, which the server refuses naming the field.
export function numberInput({ value, min, max, onChange }) {
  const changed = (e) => {
    const text = e.currentTarget.value.trim();
    onChange(text === '' ? null : Number(text));
  };
  return { type: 'number', inputmode: 'numeric', min, max, step: 1, value: value ?? '', onInput: changed };
}

// A <select>'s control for LabelledField; options: [[value, text], ...]. `more`: more attributes (data-field…).
export const selectControl = ({ value, options, onChange, more = {} }) => ({ id, aria }) => html`
  <select id=${id} data-testid=${id} value=${value ?? ''} ...${aria} ...${more}
          onChange=${(e) => onChange(e.currentTarget.value)}>
    ${options.map(([key, text]) => html`<option key=${key} value=${key}>${text}</option>`)}
  </select>`;

// The paths of the inputs a form shows (their data-field), in the order of the page.
export const pathsIn = (root) => (root ? [...root.querySelectorAll('[data-field]')].map((el) => el.dataset.field)
  : []);

// Whether `field` (as the server names it) lies under `path`: "groups[2].name" and "groups.2" under "groups".
const under = (field, path) => field.startsWith(`${path}.`) || field.startsWith(`${path}[`);

// The input of `paths` that holds what the server named `field`: itself, else the nearest one it lies under
// ("skills.billing.level" -> "skills.billing"); null when none does.
export function pathHolding(field, paths) {
  if (!field) return null;
  if (paths.includes(field)) return field;
  return paths.filter((path) => under(field, path)).sort((a, b) => b.length - a.length)[0] ?? null;
}

// The inputs of `paths` under `field` ("capacity" -> "capacity.chat"), in order.
export const pathsUnder = (field, paths) => (field ? paths.filter((path) => under(path, field)) : []);
