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
import { LabelledCheck, LabelledField, numberInput, pathHolding, pathId, pathsUnder, selectControl }
  from '/desk/labelled-field.js';
import { addStylesheet } from '/desk/reports.js';

addStylesheet('/desk/admin-form.css');

export const fieldId = pathId;

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
  return pathHolding(field, paths) ?? pathsUnder(field, paths)[0] ?? null;
}

// After a refusal: the input at fault gets the focus (or `fallback`, e.g. the Save button's id).
export function focusError(form, paths, fallback) {
  const target = errorTarget(form.error?.field, paths);
  const element = document.getElementById(target ? fieldId(form.prefix, target) : fallback);
  element?.focus();
  return target;
}

// What an input of `path` needs: its id, and the form's error message when the error is its own.
function wiring(form, path, paths) {
  const wrong = Boolean(form.error) && errorTarget(form.error.field, paths ?? [path]) === path;
  return { id: fieldId(form.prefix, path), message: wrong ? form.error.message : null };
}

// A text box. `input`: more attributes for the <input> (type, inputmode, maxlength, autocomplete…).
// `paths`: every path of the form, so that an error under this one ("own_line[0]") lands here.
export function TextField({ form, path, label, hint, value, onChange, input = {}, paths }) {
  const { id, message } = wiring(form, path, paths);
  return html`<${LabelledField} id=${id} label=${label} hint=${hint} message=${message}
    input=${{ value: value ?? '', disabled: form.readOnly, onInput: (e) => onChange(e.currentTarget.value), ...input }} />`;
}

// A whole number; an emptied box is sent as null, which the server refuses naming the field.
export function NumberField({ form, path, label, hint, value, min, max, onChange, paths }) {
  const { id, message } = wiring(form, path, paths);
  return html`<${LabelledField} id=${id} label=${label} hint=${hint} message=${message}
    input=${{ ...numberInput({ value, min, max, onChange }), disabled: form.readOnly }} />`;
}

// A checkbox, its label after it.
export function CheckField({ form, path, label, hint, checked, onChange, paths }) {
  const { id, message } = wiring(form, path, paths);
  return html`<${LabelledCheck} id=${id} label=${` ${label}`} hint=${hint} message=${message} checked=${checked}
    onChange=${onChange} input=${{ disabled: form.readOnly }} />`;
}

// A <select>; options: [[value, text], ...].
export function SelectField({ form, path, label, hint, value, options, onChange, paths }) {
  const { id, message } = wiring(form, path, paths);
  return html`<${LabelledField} id=${id} label=${label} hint=${hint} message=${message}
    control=${selectControl({ value, options, onChange, more: { disabled: form.readOnly } })} />`;
}
