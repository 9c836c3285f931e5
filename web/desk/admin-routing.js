// The console's Routing page (issue 16, docs/admin.md "Routing"): the whole routing configuration (groups with their
// thresholds and shards, the fairness mode, the rules in the order they are tried, skills and queues) edited as one
// draft and saved at once with PUT /routing. Before saving, the page asks POST /routing/preview (debounced, as the
// draft changes) what the draft would do to the conversations waiting now and says it in a live region: which would
// move, from which group to which, and where new ones like them would go. A refusal names its field
// ("groups[2].threshold"): the message shows at that input and the focus goes there. Supervisors read: every control
// is disabled (a disabled fieldset) and there is no Save; the server refuses their PUT anyway.
// The parts: admin-routing-lists.js (groups, skills, queues), admin-routing-rules.js (rules),
// admin-routing-fields.js (labelled inputs that show their error).

import { html, useEffect, useRef, useState } from '/vendor/htm-preact-standalone.module.js';
import { addStylesheet } from '/desk/reports.js';
import { errorTarget, fieldId } from '/desk/admin-routing-fields.js';
import { Groups, Queues, Skills } from '/desk/admin-routing-lists.js';
import { Rules } from '/desk/admin-routing-rules.js';

const PREVIEW_AFTER_MS = 500; // quiet time after the last change before the preview is asked

// The queues the rules match, in their order, then those added on the page that no rule matches yet.
function queuesOf(draft, extra) {
  const named = draft.rules.map((rule) => rule.match?.queue).filter(Boolean);
  return [...new Set([...named, ...extra])];
}

function Page({ api, canEdit, announce }) {
  const [saved, setSaved] = useState(null);
  const [draft, setDraft] = useState(null);
  const [extra, setExtra] = useState([]);
  const [error, setError] = useState(null); // { at, message, when }: at is the path of the input shown wrong
  const [failure, setFailure] = useState('');
  const [outcome, setOutcome] = useState('');
  const [saving, setSaving] = useState(false);
  const [preview, setPreview] = useState(null);
  const form = useRef(null);
  const asked = useRef(0); // the preview last asked: older answers are dropped

  async function load() {
    setFailure('');
    try {
      const config = await api.request('GET', '/routing');
      setSaved(config);
      setDraft(config);
      setError(null);
    } catch (failed) {
      setFailure(`Could not load the routing: ${failed.message}`);
    }
  }
  useEffect(() => { addStylesheet('/desk/admin-routing.css'); load(); }, []);

  useEffect(() => { // a refusal: to the input at fault
    if (error) document.getElementById(fieldId(error.at))?.focus();
  }, [error?.when]);

  useEffect(() => { // the preview of what the draft does to the waiting conversations
    if (!draft || draft === saved) {
      setPreview(null);
      return undefined;
    }
    const ask = ++asked.current;
    const timer = setTimeout(async () => {
      setPreview((shown) => ({ ...shown, busy: true }));
      try {
        const answer = await api.request('POST', '/routing/preview', draft);
        if (ask === asked.current) setPreview(answer);
      } catch (failed) {
        if (ask === asked.current) setPreview({ invalid: `No preview until the draft is valid: ${failed.message}` });
      }
    }, PREVIEW_AFTER_MS);
    return () => clearTimeout(timer);
  }, [draft]);

  const change = (make) => {
    setDraft((current) => make(current));
    setError(null);
    setOutcome('');
  };
  const refuse = (at, message) => {
    setError({ at, message, when: Date.now() });
    announce(message);
  };

  async function save() {
    setSaving(true);
    setOutcome('');
    try {
      const config = await api.request('PUT', '/routing', draft);
      setSaved(config);
      setDraft(config);
      setError(null);
      setOutcome('Routing saved.'); // said by its role=status
    } catch (failed) {
      const field = failed.body?.field ?? failed.field;
      const at = errorTarget(form.current, field) ?? 'save';
      setError({ at, message: failed.message, when: Date.now() });
      setOutcome(`Not saved: ${failed.message}`);
    } finally {
      setSaving(false);
    }
  }

  if (failure) return html`<p class="banner waiting-error" role="alert">${failure}</p>`;
  if (!draft) return html`<p role="status">Loading the routing…</p>`;
  const queues = queuesOf(draft, extra);
  const common = { draft, saved, change, refuse, announce, error };
  return html`
    <form ref=${form} class="rt-page" data-testid="routing-page" data-state="loaded" noValidate
          onSubmit=${(e) => { e.preventDefault(); if (canEdit) save(); }}>
      <${Preview} preview=${preview} changed=${draft !== saved} />
      ${canEdit ? html`
        <div class="admin-actions">
          <button id=${fieldId('save')} type="submit" data-testid="routing-save" disabled=${saving}
                  aria-describedby="rt-save-outcome">Save the routing</button>
          <button type="button" class="secondary" data-testid="routing-discard" disabled=${draft === saved}
                  onClick=${() => { setDraft(saved); setExtra([]); setError(null); announce('Changes discarded.'); }}>
            Discard the changes</button>
          <p id="rt-save-outcome" class=${`rt-outcome ${outcome.startsWith('Not') ? 'admin-field-error' : ''}`}
             role="status" data-testid="routing-outcome">${outcome}</p>
        </div>` : null}
      <fieldset class="rt-plain" disabled=${!canEdit}>
        <legend class="visually-hidden">The routing configuration</legend>
        <${Rules} ...${common} queues=${queues} />
        <${Groups} ...${common} />
        <${Skills} ...${common} />
        <${Queues} ...${common} queues=${queues} extra=${extra} setExtra=${setExtra} />
      </fieldset>
    </form>`;
}

// What the draft would do to the conversations waiting now: the summary in a live region, then each one that moves.
function Preview({ preview, changed }) {
  const moving = (preview?.waiting ?? []).filter((row) => row.after.id !== row.group.id);
  const lines = !changed ? ['No change yet: a change shows here what it would do to the waiting conversations.']
    : preview?.invalid ? [preview.invalid] : preview?.summary ?? ['Checking the waiting conversations…'];
  return html`
    <section class="rt-preview" aria-labelledby="rt-preview-title" data-testid="routing-preview-section">
      <h4 id="rt-preview-title">Before saving: the conversations waiting now</h4>
      <div role="status" data-testid="routing-preview" aria-busy=${preview?.busy ? 'true' : undefined}>
        ${lines.map((line) => html`<p key=${line}>${line}</p>`)}
        ${preview?.truncated ? html`<p>Only the first 200 waiting in each group were counted.</p>` : null}
      </div>
      ${changed && moving.length ? html`
        <ul class="rt-moves" aria-label="Waiting conversations that would move">
          ${moving.map((row) => html`
            <li key=${row.conversation_id} data-testid=${`routing-preview-${row.conversation_id}`}>
              ${row.visitor_name || 'A visitor'} (${row.medium}, waiting since ${
                new Date(row.waiting_since).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}):
              ${' '}${row.group.name} → ${row.after.name}</li>`)}
        </ul>` : null}
    </section>`;
}

export default { id: 'routing', label: 'Routing', Page };
