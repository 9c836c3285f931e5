// Ending a chat (CHAT-10): the close form with the chat's duration, a disposition (required if the tenant says
// so), notes, and where the chat is saved (a case on the customer's record). The form's markup is in index.html;
// `ui` holds its elements (closeForm, closeChat, duration, disposition, closeNotes, saveAs, closeError, closeSubmit).

import { ServerError } from '/widget/connection.js';
import { visitorLabel } from '/desk/labels.js';
import { hide, showText } from '/desk/notices.js';

// deps: settings() the tenant's settings; selected() the chat pane's conversation view; find(id) a view;
// serverNow(); request(fields) sends close_conversation; onClosed(view, conversation); hidePanels(); announce(text).
export function createCloseForm(ui, deps) {
  function open() {
    const view = deps.selected();
    if (!view || view.conversation.status === 'closed') return;
    const settings = deps.settings();
    const required = Boolean(settings.disposition_required);
    const empty = new Option(required ? 'Choose a disposition…' : 'No disposition', '');
    if (required) empty.disabled = true;
    ui.disposition.replaceChildren(empty, ...(settings.dispositions ?? []).map((name) => new Option(name, name)));
    ui.disposition.value = '';
    empty.selected = true;
    ui.closeNotes.value = '';
    ui.saveAs.value = 'case';
    hide(ui.closeError);
    ui.closeSubmit.disabled = false;
    deps.hidePanels();
    ui.closeForm.dataset.conversationId = view.conversation.id;
    ui.closeForm.hidden = false;
    ui.closeChat.setAttribute('aria-expanded', 'true');
    renderDuration();
    ui.disposition.focus();
  }

  function close() {
    ui.closeForm.hidden = true;
    ui.closeChat.setAttribute('aria-expanded', 'false');
    delete ui.closeForm.dataset.conversationId;
  }

  function isOpen() {
    return !ui.closeForm.hidden;
  }

  function renderDuration() {
    const view = deps.find(ui.closeForm.dataset.conversationId);
    const started = Date.parse(view?.conversation.created_at);
    if (!Number.isFinite(started)) {
      ui.duration.textContent = '--:--';
      return;
    }
    const closedAt = Date.parse(view.conversation.closed_at);
    const until = Number.isFinite(closedAt) ? closedAt : deps.serverNow();
    ui.duration.textContent = formatDuration(until - started);
  }

  async function submit() {
    const view = deps.find(ui.closeForm.dataset.conversationId);
    if (!view || view.conversation.status === 'closed') {
      close();
      return;
    }
    const fields = { conversation_id: view.conversation.id, saved_as: ui.saveAs.value || 'case' };
    if (ui.disposition.value) fields.disposition = ui.disposition.value;
    const notes = ui.closeNotes.value.trim();
    if (notes) fields.notes = notes;
    if (view.contact?.id) fields.contact_id = view.contact.id; // the record the case is saved on
    hide(ui.closeError);
    ui.closeSubmit.disabled = true;
    try {
      const ack = await deps.request(fields);
      deps.onClosed(view, ack.conversation ?? {});
      close();
      deps.announce(`Chat with ${visitorLabel(view.conversation)} ended.`);
    } catch (error) {
      if (error instanceof ServerError) {
        ui.closeError.dataset.code = error.code ?? '';
        showText(ui.closeError, closeErrorText(error));
        if ((error.field ?? 'disposition') === 'disposition') ui.disposition.focus();
      } else {
        ui.closeError.dataset.code = 'not_connected';
        showText(ui.closeError, 'Not connected: the chat could not be ended. Try again in a moment.');
      }
    } finally {
      ui.closeSubmit.disabled = false;
    }
  }

  // The form's own listeners, as [target, type, listener] for the desk to add and remove with its others.
  const listeners = [
    [ui.closeChat, 'click', open],
    [ui.closeCancel, 'click', close],
    [ui.closeForm, 'submit', (event) => { event.preventDefault(); submit(); }],
    [ui.closeForm, 'keydown', (event) => { if (event.key === 'Escape') close(); }],
  ];

  return { open, close, isOpen, renderDuration, listeners };
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
