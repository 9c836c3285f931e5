// What the console's settings pages share (admin-look.js, admin-answers.js, admin-hours.js; docs/admin.md): the
// tenant's settings loaded once, a draft edited in place, Save sending only what changed (PUT /settings), and the
// server's refusal shown next to the input it names (aria-invalid, aria-describedby, focus moved there). The server
// checks every value and the admin role on each PUT: the page only helps.

import { html, useEffect, useRef, useState } from '/vendor/htm-preact-standalone.module.js';
import { FieldNotes, LabelledCheck, LabelledField, pathHolding, pathsIn, pathsUnder } from '/desk/labelled-field.js';

export const LANGUAGES = [['en', 'English'], ['fr', 'French']];

// The id of the input that holds a setting (its path, as the server names it: "texts.en.welcome",
// "canned_answers.1.title", "hours.weekly.mon.0.1").
export const inputId = (path) => `admin-${path.replace(/[^a-zA-Z0-9_-]/g, '-')}`;

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// The PUT's body: the keys of `keys` whose value changed; texts per language and key only (the server keeps the
// keys not given).
export function changedSettings(saved, draft, keys) {
  const changes = {};
  for (const key of keys) {
    if (key === 'texts') {
      const texts = {};
      for (const [lang] of LANGUAGES) {
        const entries = Object.entries(draft.texts?.[lang] ?? {}).filter(([name, text]) => saved.texts?.[lang]?.[name] !== text);
        if (entries.length > 0) texts[lang] = Object.fromEntries(entries);
      }
      if (Object.keys(texts).length > 0) changes.texts = texts;
    } else if (!same(saved[key], draft[key])) {
      changes[key] = draft[key];
    }
  }
  return changes;
}

// The input an error names, or the nearest one the page shows: "texts.en" is at the first English text,
// "canned_answers" at its first blank input, else at the list's Add button. null when no input holds it (the message then shows by Save).
export function errorTarget(form, field) {
  if (!form || !field) return null;
  const paths = pathsIn(form);
  const below = pathsUnder(field, paths);
  // "dispositions" (a blank one among them): that blank input, rather than the list's Add button.
  const blank = below.find((path) => {
    const input = document.getElementById(inputId(path));
    return input?.matches('input:not([type="checkbox"]), textarea') && input.value.trim() === '';
  });
  if (blank) return blank;
  if (paths.includes(field)) return field;
  if (below.length > 0) return below[0]; // "hours.weekly.mon.0" (a period): its first time
  return pathHolding(field, paths);
}

// The page's settings: { saved, draft, edit(patch), save(), error, errorAt, outcome, busy, failure, formRef }.
// `keys`: the settings this page edits (only they are compared and sent).
export function useSettings({ api, announce, keys }) {
  const [saved, setSaved] = useState(null);
  const [draft, setDraft] = useState(null);
  const [failure, setFailure] = useState(null);
  const [error, setError] = useState(null); // {field, message, at}
  const [outcome, setOutcome] = useState('');
  const [busy, setBusy] = useState(false);
  const formRef = useRef(null);
  const errorAt = errorTarget(formRef.current, error?.field);

  useEffect(() => {
    api.request('GET', '/settings').then((settings) => { setSaved(settings); setDraft(settings); },
      (cause) => setFailure(`The settings could not be loaded: ${cause.message}`));
  }, []);
  useEffect(() => { // a refusal: the focus goes to the input at fault (else to Save, which says why)
    if (error) document.getElementById(inputId(errorTarget(formRef.current, error.field) ?? 'save'))?.focus();
  }, [error?.at]);

  const edit = (patch) => {
    setDraft((current) => ({ ...current, ...(typeof patch === 'function' ? patch(current) : patch) }));
    setOutcome('');
  };

  async function save() {
    const changes = changedSettings(saved, draft, keys);
    if (Object.keys(changes).length === 0) {
      setOutcome('Nothing to save: no change.');
      return;
    }
    setBusy(true);
    try {
      const settings = await api.request('PUT', '/settings', changes);
      setSaved(settings);
      setDraft(settings);
      setError(null);
      setOutcome('Saved.');
      announce('Settings saved.');
    } catch (cause) {
      setError({ field: cause.field ?? null, message: cause.message, at: Date.now() });
      setOutcome('');
    } finally {
      setBusy(false);
    }
  }

  return { saved, draft, edit, save, error, errorAt, outcome, busy, failure, formRef };
}

// A labelled input (or textarea) for one setting, with its hint and its error. Read-only for supervisors.
// describedBy: the ids of more text that describes it (a help shared by several inputs).
export function TextField({ path, label, value, onValue, form, canEdit, hint, multiline, type = 'text', testId,
  describedBy, ...rest }) {
  const props = { value, readOnly: !canEdit, 'data-testid': testId, onInput: (event) => onValue(event.currentTarget.value),
    ...rest };
  const control = multiline ? ({ id, aria }) => html`<textarea id=${id} rows="3" ...${aria} ...${props}></textarea>`
    : null;
  return html`<${LabelledField} id=${inputId(path)} field=${path} label=${label} hint=${hint} describedBy=${describedBy}
    message=${form.errorAt === path ? form.error.message : null} control=${control} input=${{ type, ...props }} />`;
}

// A checkbox for a true/false setting.
export function CheckField({ path, label, checked, onValue, form, canEdit, testId }) {
  return html`<${LabelledCheck} id=${inputId(path)} field=${path} label=${label} checked=${checked} onChange=${onValue}
    message=${form.errorAt === path ? form.error.message : null} input=${{ disabled: !canEdit, 'data-testid': testId }} />`;
}

// Save (admins only) and what it said; an error no input holds shows here.
export function SaveBar({ form, canEdit, testId }) {
  if (!canEdit) return null;
  const general = form.error && !form.errorAt;
  return html`
    <div class="admin-actions">
      <button id=${inputId('save')} type="submit" class="primary" data-testid=${testId} disabled=${form.busy}
              aria-describedby=${`${inputId('save')}-outcome`}>Save</button>
      <p id=${`${inputId('save')}-outcome`} class=${general ? 'admin-field-error' : 'muted'} role="status"
         data-testid=${`${testId}-outcome`}>${general ? `Not saved: ${form.error.message}` : form.outcome}</p>
    </div>`;
}

// The page's frame: loading, a failure, or the form (submitting saves).
export function SettingsForm({ form, label, children }) {
  if (form.failure) return html`<p class="banner waiting-error" role="alert">${form.failure}</p>`;
  if (!form.draft) return html`<p role="status">Loading…</p>`;
  return html`
    <form ref=${form.formRef} class="admin-form" aria-label=${label} novalidate
          onSubmit=${(event) => { event.preventDefault(); form.save(); }}>${children}</form>`;
}

// Where an error about a whole list shows (e.g. "hours.weekly.mon" when it has no period): its Add button, which
// takes the focus.
export function AddButton({ path, label, onAdd, form, canEdit, testId }) {
  if (!canEdit) return null;
  const id = inputId(path);
  const failed = form.errorAt === path;
  return html`
    <div class="admin-field" data-field=${path}>
      <button type="button" class="secondary" id=${id} data-testid=${testId} onClick=${onAdd}
              aria-describedby=${failed ? `${id}-error` : undefined}>${label}</button>
      <${FieldNotes} id=${id} message=${failed ? form.error.message : null} />
    </div>`;
}
