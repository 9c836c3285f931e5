// The Routing page's inputs (admin-routing.js): each labelled, with `data-field` set to the path the server names in a
// refusal ("groups[2].threshold", "rules[0].match.queue") so that the message shows at that input
// (aria-invalid, aria-describedby) and the focus goes there.

import { html } from '/vendor/htm-preact-standalone.module.js';
import { LabelledField, numberInput, pathHolding, pathId, pathsIn, selectControl } from '/desk/labelled-field.js';

// "rules[0].match.queue" -> "rt-rules-0-match-queue": the id, and the test id, of the input for that path.
export const fieldId = (path) => pathId('rt', path).replace(/-$/, '');

// The path of the input a refusal names, or the nearest one shown: "rules[0].groups[1]" is at that select, and
// "rules[0].skill.min_level" at the skill's level; null when none (the message is then shown by Save).
export function errorTarget(root, field) {
  return root ? pathHolding(field, pathsIn(root)) : null;
}

const LOOK = { field: 'admin-field', hint: 'muted rt-hint', error: 'admin-field-error' };

// One labelled control; `error` is { at, message } (at: the path the refusal names). `children({ id, aria })`
// draws a control other than a text <input>.
export function Field({ path, label, hint, error, input = {}, children, className = 'admin-field' }) {
  return html`<${LabelledField} id=${fieldId(path)} label=${label} hint=${hint} className=${className} look=${LOOK}
    message=${error?.at === path ? error.message : null} input=${{ 'data-field': path, ...input }} control=${children} />`;
}

export function TextField({ path, label, hint, value, onChange, error, maxlength = 120, readOnly = false }) {
  return html`<${Field} path=${path} label=${label} hint=${hint} error=${error}
    input=${{ value: value ?? '', maxlength, autocomplete: 'off', readOnly,
              onInput: (e) => onChange(e.currentTarget.value) }} />`;
}

// An emptied box is sent as null, which the server refuses by field.
export function NumberField({ path, label, hint, value, min, max, onChange, error }) {
  return html`<${Field} path=${path} label=${label} hint=${hint} error=${error}
    input=${numberInput({ value, min, max, onChange })} />`;
}

// options: [[value, text], ...]
export function Select({ path, label, hint, value, options, onChange, error }) {
  return html`<${Field} path=${path} label=${label} hint=${hint} error=${error}
    children=${selectControl({ value, options, onChange, more: { 'data-field': path } })} />`;
}

// What refers to a thing about to be removed, said in words: 'the rules "Shop" and "Everything"'.
export function namedList(kind, names) {
  const quoted = names.map((name) => `"${name}"`);
  const joined = quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}` : quoted[0];
  return `the ${kind}${names.length > 1 ? 's' : ''} ${joined}`;
}
