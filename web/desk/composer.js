// The chat pane's composer: the reply box (Enter sends, Shift+Enter a new line), canned answers inserted at the
// caret, and our typing indicator to the visitor. The markup is in index.html; `ui` holds composer, input,
// canned. Sending itself (the log, the outbox) is the desk's: deps.send(view, text).

import { MAX_LENGTH } from '/widget/connection.js';

const TYPING_IDLE_MS = 3000; // "typing: false" after this long without a keystroke
const TYPING_REFRESH_MS = 4000; // "typing: true" again while the agent keeps typing

// deps: selected() the chat pane's conversation view; cannedAnswers() from the settings; socket (isOpen, request);
// send(view, text); showError(text).
export function createComposer(ui, deps) {
  // Our side: "typing: true" on the first keystroke (again every TYPING_REFRESH_MS while it goes on), "false"
  // after TYPING_IDLE_MS without one, on send, when the input is emptied, or when the agent switches chats.
  function noteTyping() {
    const view = deps.selected();
    if (!view || view.conversation.status === 'closed') return;
    if (ui.input.value.trim() === '') {
      stopTyping(view, { tell: true });
      return;
    }
    if (!view.typingSent || Date.now() - view.typingSent > TYPING_REFRESH_MS) {
      view.typingSent = Date.now();
      sendTyping(view, true);
    }
    clearTimeout(view.typingTimer);
    view.typingTimer = setTimeout(() => stopTyping(view, { tell: true }), TYPING_IDLE_MS);
  }

  function stopTyping(view, { tell }) {
    clearTimeout(view.typingTimer);
    view.typingTimer = null;
    if (!view.typingSent) return;
    view.typingSent = 0;
    if (tell) sendTyping(view, false);
  }

  function sendTyping(view, typing) {
    if (!deps.socket.isOpen()) return;
    deps.socket.request('typing', { conversation_id: view.conversation.id, typing }).catch(() => {});
  }

  // The settings' canned answers as the picker's options (Option() sets text, never markup).
  function showCannedAnswers(answers) {
    ui.canned.replaceChildren(new Option('Canned answers…', ''));
    answers.forEach((answer, index) => {
      const option = new Option(answer.title, String(index));
      option.title = answer.text;
      ui.canned.append(option);
    });
    ui.canned.hidden = answers.length === 0;
  }

  function insertCannedAnswer() {
    const chosen = ui.canned.value;
    ui.canned.value = '';
    const answer = chosen === '' ? null : deps.cannedAnswers()?.[Number(chosen)];
    if (!answer?.text) return;
    const { value } = ui.input;
    const start = ui.input.selectionStart ?? value.length;
    const end = ui.input.selectionEnd ?? value.length;
    ui.input.value = value.slice(0, start) + answer.text + value.slice(end);
    const caret = start + answer.text.length;
    ui.input.focus();
    ui.input.setSelectionRange(caret, caret);
    noteTyping();
  }

  function submitReply() {
    const view = deps.selected();
    const text = ui.input.value.trim();
    if (!view || !text || view.conversation.status === 'closed') return;
    if (text.length > MAX_LENGTH) {
      deps.showError(`Messages are limited to ${MAX_LENGTH} characters.`);
      return;
    }
    stopTyping(view, { tell: true });
    ui.input.value = '';
    view.draft = '';
    deps.send(view, text);
  }

  // The composer's own listeners, as [target, type, listener] for the desk to add and remove with its others.
  const listeners = [
    [ui.composer, 'submit', (event) => { event.preventDefault(); submitReply(); }],
    [ui.input, 'keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submitReply();
      }
    }],
    [ui.input, 'input', noteTyping],
    [ui.canned, 'change', insertCannedAnswer],
  ];

  return { stopTyping, showCannedAnswers, listeners };
}
