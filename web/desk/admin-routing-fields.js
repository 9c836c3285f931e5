// The Routing page's inputs (admin-routing.js): each labelled, with `data-field` set to the path the server names in a
// refusal ("groups[2].threshold", "rules[0].match.queue") so that the message shows at that input
// (aria-invalid, aria-describedby) and the focus goes there.

import { html } from '/vendor/htm-preact-standalone.module.js';

// "rules[0].match.queue" -> "rt-rules-0-match-queue": the id, and the test id, of the input for that path.
export const fieldId = (path) => `rt-${path.replace(/[^A-Za-z0-9]+/g, '-').replace(/-$/, '')}`;

// The path of the input a refusal names, or the nearest one shown: "rules[0].groups[1]" is at that select, and
// "rules[0].skill.min_level" at the skill's level; null when none (the message is then shown by Save).
export function errorTarget(root, field) {
  if (!root || !field) return null;
  const paths = [...root.querySelectorAll('[data-field]')].map((element) => element.dataset.field);
  const fits = paths.filter((path) => field === path || field.startsWith(`${path}.`) || field.startsWith(`${path}[`));
  return fits.sort((a, b) => b.length - a.length)[0] ?? null;
}

// One labelled control; `error` is { at, message } (at: the path the refusal names). `children({ id, ...aria })`
// draws a control other than a text <input>.
export function Field({ path, label, hint, error, input = {}, children, className = 'admin-field' }) {
  const id = fieldId(path);
  const wrong = error?.at === path;
  const described = [hint ? `${id}-hint` : '', wrong ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const aria = { 'aria-describedby': described, 'aria-invalid': wrong ? 'true' : undefined };
  const control = children ? children({ id, aria })
    : html`<input id=${id} data-field=${path} data-testid=${id} ...${aria} ...${input} />`;
  return html`
    <div class=${className}>
      <label for=${id}>${label}</label>
      ${control}
      ${hint ? html`<span id=${`${id}-hint`} class="muted rt-hint">${hint}</span>` : null}
      ${wrong ? html`<span id=${`${id}-error`} class="admin-field-error" data-testid=${`${id}-error`}>${
        error.message}</span>` : null}
    </div>`;
}

export function TextField({ path, label, hint, value, onChange, error, maxlength = 120, readOnly = false }) {
  return html`<${Field} path=${path} label=${label} hint=${hint} error=${error}
    input=${{ value: value ?? '', maxlength, autocomplete: 'off', readOnly,
              onInput: (e) => onChange(e.currentTarget.value) }} />`;
}

// An emptied box is sent as null, which the server refuses by field.
export function NumberField({ path, label, hint, value, min, max, onChange, error }) {
  const changed = (e) => {
    const text = e.currentTarget.value.trim();
    onChange(text === '' ? null : Number(text));
  };
  return html`<${Field} path=${path} label=${label} hint=${hint} error=${error}
    input=${{ type: 'number', inputmode: 'numeric', min, max, step: 1, value: value ?? '', onInput: changed }} />`;
}

// options: [[value, text], ...]
export function Select({ path, label, hint, value, options, onChange, error }) {
  return html`<${Field} path=${path} label=${label} hint=${hint} error=${error}>
    ${({ id, aria }) => html`
      <select id=${id} data-field=${path} data-testid=${id} value=${value} ...${aria}
              onChange=${(e) => onChange(e.currentTarget.value)}>
        ${options.map(([key, text]) => html`<option key=${key} value=${key}>${text}</option>`)}
      </select>`}
  </${Field}>`;
}

// What refers to a thing about to be removed, said in words: 'the rules "Shop" and "Everything"'.
export function namedList(kind, names) {
  const quoted = names.map((name) => `"${name}"`);
  const joined = quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}` : quoted[0];
  return `the ${kind}${names.length > 1 ? 's' : ''} ${joined}`;
}
