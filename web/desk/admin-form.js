// Labelled inputs for the console's pages (admin-*.js), each showing the server's error for its own setting.
//
// A page keeps one `form` object and hands it to every input:
//   { prefix: 'aa', error: { field, message } | null, readOnly: bool }
// An input has a `path` (the name the server gives in an error's `field`, e.g. "capacity.chat" or "skills.billing");
// its id is `${prefix}-${path}` with every run of other characters made a "-" ("aa-capacity-chat"), which is also its
// data-testid. When the form's error names the input (errorTarget below), the input gets aria-invalid and
// aria-describedby pointing at the message printed under it, and the page moves the focus there (focusError).
// In a read-only form (a supervisor's) every control is disabled: they read, the server refuses their writes anyway.

import { html } from '/vendor/htm-preact-standalone.module.js';
import { addStylesheet } from '/desk/reports.js';

addStylesheet('/desk/admin-form.css');

export const fieldId = (prefix, path) => `${prefix}-${String(path).replace(/[^A-Za-z0-9]+/g, '-')}`;

// The error of a rejected request, as the form shows it: { field, message }. The desk's ApiError carries `field`
// itself; another client may keep the server's body as `body`.
export function errorOf(failure) {
  const field = failure?.field ?? failure?.body?.field ?? null;
  const message = failure?.body?.message ?? failure?.message ?? 'Something went wrong.';
  return { field, message, status: failure?.status ?? null };
}

// Which of the form's input paths shows an error the server gave for `field`: the path itself, else the longest path
// it lies under ("groups[2]" -> "groups", "skills.billing.level" -> "skills.billing"), else the first input under it
// ("capacity" -> "capacity.chat"); null when no input of the form holds it (the page shows it by its Save).
export function errorTarget(field, paths) {
  if (!field) return null;
  if (paths.includes(field)) return field;
  const above = paths.filter((path) => field.startsWith(`${path}.`) || field.startsWith(`${path}[`));
  if (above.length) return above.sort((a, b) => b.length - a.length)[0];
  return paths.find((path) => path.startsWith(`${field}.`) || path.startsWith(`${field}[`)) ?? null;
}

// After a refusal: the input at fault gets the focus (or `fallback`, e.g. the Save button's id).
export function focusError(form, paths, fallback) {
  const target = errorTarget(form.error?.field, paths);
  const element = document.getElementById(target ? fieldId(form.prefix, target) : fallback);
  element?.focus();
  return target;
}

// What an input of `path` needs to show the form's error: its id, whether it is wrong, aria-describedby.
function wiring(form, path, hint, paths) {
  const id = fieldId(form.prefix, path);
  const wrong = Boolean(form.error) && errorTarget(form.error.field, paths ?? [path]) === path;
  const described = [hint ? `${id}-hint` : '', wrong ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return { id, wrong, described };
}

function Message({ id, hint, wrong, form }) {
  return html`
    ${hint ? html`<span id=${`${id}-hint`} class="muted admin-hint">${hint}</span>` : null}
    ${wrong ? html`<span id=${`${id}-error`} class="admin-field-error" data-testid=${`${id}-error`}>${
      form.error.message}</span>` : null}`;
}

// A text box. `input`: more attributes for the <input> (type, inputmode, maxlength, autocomplete…).
// `paths`: every path of the form, so that an error under this one ("own_line[0]") lands here.
export function TextField({ form, path, label, hint, value, onChange, input = {}, paths }) {
  const { id, wrong, described } = wiring(form, path, hint, paths);
  return html`
    <div class="admin-field">
      <label for=${id}>${label}</label>
      <input id=${id} data-testid=${id} value=${value ?? ''} disabled=${form.readOnly}
             aria-invalid=${wrong ? 'true' : undefined} aria-describedby=${described}
             onInput=${(e) => onChange(e.currentTarget.value)} ...${input} />
      <${Message} id=${id} hint=${hint} wrong=${wrong} form=${form} />
    </div>`;
}

// A whole number; an emptied box is sent as null, which the server refuses naming the field.
export function NumberField({ form, path, label, hint, value, min, max, onChange, paths }) {
  const changed = (text) => onChange(text.trim() === '' ? null : Number(text));
  return html`<${TextField} form=${form} path=${path} label=${label} hint=${hint} value=${value ?? ''}
    onChange=${changed} paths=${paths} input=${{ type: 'number', inputmode: 'numeric', min, max, step: 1 }} />`;
}

// A checkbox, its label after it.
export function CheckField({ form, path, label, hint, checked, onChange, paths }) {
  const { id, wrong, described } = wiring(form, path, hint, paths);
  return html`
    <div class="admin-field admin-check">
      <span>
        <input id=${id} data-testid=${id} type="checkbox" checked=${Boolean(checked)} disabled=${form.readOnly}
               aria-invalid=${wrong ? 'true' : undefined} aria-describedby=${described}
               onChange=${(e) => onChange(e.currentTarget.checked)} />
        <label for=${id}>${` ${label}`}</label>
      </span>
      <${Message} id=${id} hint=${hint} wrong=${wrong} form=${form} />
    </div>`;
}

// A <select>; options: [[value, text], ...].
export function SelectField({ form, path, label, hint, value, options, onChange, paths }) {
  const { id, wrong, described } = wiring(form, path, hint, paths);
  return html`
    <div class="admin-field">
      <label for=${id}>${label}</label>
      <select id=${id} data-testid=${id} value=${value ?? ''} disabled=${form.readOnly}
              aria-invalid=${wrong ? 'true' : undefined} aria-describedby=${described}
              onChange=${(e) => onChange(e.currentTarget.value)}>
        ${options.map(([key, text]) => html`<option key=${key} value=${key}>${text}</option>`)}
      </select>
      <${Message} id=${id} hint=${hint} wrong=${wrong} form=${form} />
    </div>`;
}
