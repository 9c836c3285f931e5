// Ending a chat (CHAT-10): the close form with the chat's duration, a disposition (required if the tenant says
// so), notes, and where the chat is saved (a case on the customer's record). CloseForm is one of the chat pane's
// panels (dialogs.js's ChatPanels draws them): open when state.panel is 'close', for the conversation
// state.panelFor; each opening (state.panelOpened) is a fresh form. Its error and busy state are state.panelError
// and state.panelBusy.

import { ServerError } from '/widget/connection.js';
import { html, useEffect, useLayoutEffect, useRef, useState } from '/vendor/htm-preact-standalone.module.js';
import { visitorLabel } from '/desk/labels.js';

const DURATION_TICK_MS = 250;

// deps: store; selected() the chat pane's conversation view; serverNow(); request(fields) sends close_conversation;
// onClosed(view, conversation); announce(text).
export function createCloseForm({ store, ...deps }) {
  function open() {
    const view = deps.selected();
    if (!view || view.conversation.status === 'closed') return;
    store.set({ panel: 'close', panelFor: view.conversation.id, panelOpened: (store.state.panelOpened ?? 0) + 1,
      panelError: null, panelBusy: false });
  }

  function close() {
    if (isOpen()) store.set({ panel: null, panelFor: null });
  }

  function isOpen() {
    return store.state.panel === 'close';
  }

  // fields: the form's disposition, notes and saveAs.
  async function submit({ disposition, notes, saveAs }) {
    const view = store.conversations.get(store.state.panelFor);
    if (!view || view.conversation.status === 'closed') {
      close();
      return;
    }
    const fields = { conversation_id: view.conversation.id, saved_as: saveAs || 'case' };
    if (disposition) fields.disposition = disposition;
    if (notes.trim()) fields.notes = notes.trim();
    if (view.contact?.id) fields.contact_id = view.contact.id; // the record the case is saved on
    const opened = store.state.panelOpened;
    store.set({ panelError: null, panelBusy: true });
    try {
      const ack = await deps.request(fields);
      deps.onClosed(view, ack.conversation ?? {});
      close();
      deps.announce(`Chat with ${visitorLabel(view.conversation)} ended.`);
    } catch (error) {
      if (store.state.panelOpened !== opened) return; // the form was closed or another panel opened meanwhile
      store.set({ panelError: error instanceof ServerError
        ? { code: error.code ?? '', text: closeErrorText(error),
          field: (error.field ?? 'disposition') === 'disposition' ? 'disposition' : null }
        : { code: 'not_connected', text: 'Not connected: the chat could not be ended. Try again in a moment.' } });
    } finally {
      store.set({ panelBusy: false });
    }
  }

  return { open, close, isOpen, submit, serverNow: deps.serverNow };
}

// form: the controller above; view: the conversation's view while shown; settings: the tenant's.
export function CloseForm({ shown, error, busy, view, form, settings }) {
  const [disposition, setDisposition] = useState('');
  const [notes, setNotes] = useState('');
  const [saveAs, setSaveAs] = useState('case');
  const dispositionField = useRef(null);
  useLayoutEffect(() => {
    if (shown) dispositionField.current.focus();
  }, [shown]);
  useLayoutEffect(() => {
    if (error?.field === 'disposition') dispositionField.current.focus();
  }, [error]);
  const required = Boolean(settings?.disposition_required);
  const submit = (event) => {
    event.preventDefault();
    form.submit({ disposition, notes, saveAs });
  };
  return html`
    <form id="close-form" class="close-form" data-testid="close-form" aria-labelledby="close-title" hidden=${!shown}
          onSubmit=${submit} onKeyDown=${(event) => { if (event.key === 'Escape') form.close(); }}>
      <h3 id="close-title">End this chat</h3>
      <p class="close-duration">Duration <${Duration} view=${view} serverNow=${form.serverNow} /></p>
      <label for="disposition-select">Disposition</label>
      <select id="disposition-select" data-testid="disposition-select" ref=${dispositionField} value=${disposition}
              onChange=${(event) => setDisposition(event.currentTarget.value)}>
        <option value="" disabled=${required}>${required ? 'Choose a disposition…' : 'No disposition'}</option>
        ${(settings?.dispositions ?? []).map((name) => html`<option key=${name} value=${name}>${name}</option>`)}
      </select>
      <label for="close-notes">Notes</label>
      <textarea id="close-notes" data-testid="close-notes" rows="2" maxlength="4000" value=${notes}
                onInput=${(event) => setNotes(event.currentTarget.value)}></textarea>
      <label for="save-as">Save the chat log as</label>
      <select id="save-as" data-testid="save-as" value=${saveAs}
              onChange=${(event) => setSaveAs(event.currentTarget.value)}>
        <option value="case">A case on the customer's record</option>
        <option value="draft">A draft</option>
      </select>
      <p id="close-error" class="error" data-testid="close-error" role="alert" data-code=${error?.code}
         hidden=${!error}>${error?.text ?? ''}</p>
      <div class="close-actions">
        <button type="button" id="close-cancel" class="secondary" data-testid="close-cancel"
                onClick=${() => form.close()}>Cancel</button>
        <button type="submit" id="close-submit" data-testid="close-submit" disabled=${busy}>End chat</button>
      </div>
    </form>`;
}

// The chat's duration so far (or until it closed), on the server's clock; view: the conversation's view.
function Duration({ view, serverNow }) {
  const [, setNow] = useState(0);
  useEffect(() => {
    if (!view) return undefined;
    const timer = setInterval(() => setNow(Date.now()), DURATION_TICK_MS);
    return () => clearInterval(timer);
  }, [view]);
  const started = Date.parse(view?.conversation.created_at);
  let text = '--:--';
  if (Number.isFinite(started)) {
    const closedAt = Date.parse(view.conversation.closed_at);
    text = formatDuration((Number.isFinite(closedAt) ? closedAt : serverNow()) - started);
  }
  return html`<span id="chat-duration" class="duration" data-testid="chat-duration" role="timer">${text}</span>`;
}

function closeErrorText(error) {
  if (error.code === 'missing_field' && (error.field ?? 'disposition') === 'disposition') {
    return `Choose a disposition before ending the chat (${error.message}).`;
  }
  return `The chat could not be ended: ${error.message}`;
}

export function formatDuration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const pad = (n) => String(n).padStart(2, '0');
  return `${pad(Math.floor(total / 60))}:${pad(total % 60)}`;
}
