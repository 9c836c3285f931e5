// The chat pane's composer: the reply box (Enter sends, Shift+Enter a new line), canned answers (the settings'
// canned_answers) inserted at the caret, from the menu or by typing "/shortcut" then Tab (canned-shortcuts.js), with
// their variables filled, and our typing indicator to the visitor. A Preact component over the store;
// the reply box is uncontrolled: what the agent types is kept per chat in its view's draft, put back when the chat
// is selected again. Sending itself (the log, the outbox) is the desk's: deps.send(view, text).

import { MAX_LENGTH } from '/widget/connection.js';
import { html, useLayoutEffect, useRef, useState } from '/vendor/htm-preact-standalone.module.js';
import { ShortcutList, fillVariables, matchingAnswers, typedShortcut } from '/desk/canned-shortcuts.js';
import { mount } from '/desk/store.js';

const TYPING_IDLE_MS = 3000; // "typing: false" after this long without a keystroke
const TYPING_REFRESH_MS = 4000; // "typing: true" again while the agent keeps typing

// deps: store; selected() the chat pane's conversation view; socket (isOpen, request); send(view, text);
// showError(text).
export function createComposer(ui, deps) {
  let input = null; // the reply box, once drawn

  // Our side: "typing: true" on the first keystroke (again every TYPING_REFRESH_MS while it goes on), "false"
  // after TYPING_IDLE_MS without one, on send, when the input is emptied, or when the agent switches chats.
  function noteTyping() {
    const view = deps.selected();
    if (!view || view.conversation.status === 'closed') return;
    view.draft = input.value;
    if (input.value.trim() === '') {
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

  function insertCannedAnswer(event, answers, variables) {
    const chosen = event.currentTarget.value;
    event.currentTarget.value = '';
    const answer = chosen === '' ? null : answers[Number(chosen)];
    if (!answer?.text) return;
    const { value } = input;
    insertAt(input.selectionStart ?? value.length, input.selectionEnd ?? value.length, answer, variables);
  }

  // The answer, its variables filled, replaces value[start, end) as text; the caret goes after it.
  function insertAt(start, end, answer, variables) {
    const text = fillVariables(answer.text, variables);
    input.value = input.value.slice(0, start) + text + input.value.slice(end);
    const caret = start + text.length;
    input.focus();
    input.setSelectionRange(caret, caret);
    noteTyping();
  }

  function submitReply() {
    const view = deps.selected();
    const text = input.value.trim();
    if (!view || !text || view.conversation.status === 'closed') return;
    if (text.length > MAX_LENGTH) {
      deps.showError(`Messages are limited to ${MAX_LENGTH} characters.`);
      return;
    }
    stopTyping(view, { tell: true });
    input.value = '';
    view.draft = '';
    deps.send(view, text);
  }

  function onKeyDown(event) {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submitReply();
    }
  }

  function Composer({ store, state }) {
    const view = store.conversations.get(state.selectedId);
    const closed = view?.conversation.status === 'closed';
    const answers = Array.isArray(state.settings?.canned_answers) ? state.settings.canned_answers : [];
    const variables = { visitorName: view?.conversation.visitor?.name?.trim() || '', agentName: state.me?.name || '' };
    const [typed, setTyped] = useState(null); // {start, query, active}: a "/shortcut" being typed
    const matches = typed ? matchingAnswers(answers, typed.query) : [];
    const active = matches.length ? Math.min(typed.active, matches.length - 1) : -1;
    const box = useRef(null);

    function followShortcut() {
      const found = typedShortcut(input.value, input.selectionStart ?? input.value.length);
      setTyped(found ? { ...found, active: 0 } : null);
    }

    function pick(answer) {
      insertAt(typed.start, input.selectionStart ?? input.value.length, answer, variables);
      setTyped(null);
    }

    function onKeys(event) {
      if (matches.length && !event.isComposing) {
        if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
          event.preventDefault();
          const step = event.key === 'ArrowDown' ? 1 : matches.length - 1;
          setTyped({ ...typed, active: (active + step) % matches.length });
          return;
        }
        if (event.key === 'Tab' || (event.key === 'Enter' && !event.shiftKey)) {
          event.preventDefault();
          pick(matches[active]);
          return;
        }
        if (event.key === 'Escape') {
          event.preventDefault();
          event.stopPropagation();
          setTyped(null);
          return;
        }
      }
      onKeyDown(event);
    }

    useLayoutEffect(() => {
      input = box.current;
      return () => { input = null; };
    }, []);
    useLayoutEffect(() => { box.current.value = view?.draft ?? ''; }, [view]); // the selected chat's draft
    useLayoutEffect(() => setTyped(null), [state.selectedId]); // no shortcut list left from the chat before
    return html`
      <form id="composer" class="composer" onSubmit=${(event) => { event.preventDefault(); submitReply(); }}>
        <div class="composer-tools">
          <label for="canned-select" class="visually-hidden">Canned answers</label>
          <select id="canned-select" data-testid="canned-select" hidden=${answers.length === 0} disabled=${closed}
                  onChange=${(event) => insertCannedAnswer(event, answers, variables)}>
            <option value="">Canned answers…</option>
            ${answers.map((answer, index) => html`
              <option key=${index} value=${String(index)} title=${answer.text}>
                ${answer.shortcut ? `${answer.title} (/${answer.shortcut})` : answer.title}</option>`)}
          </select>
        </div>
        <div class="composer-row">
          <label for="desk-input" class="visually-hidden">Reply</label>
          <textarea id="desk-input" ref=${box} data-testid="desk-input" maxlength="1940" rows="3" disabled=${closed}
                    placeholder="Type your reply… (Enter to send, Shift+Enter for a new line, / for a canned answer)"
                    aria-controls="shortcut-list"
                    aria-activedescendant=${active >= 0 ? `shortcut-list-${active}` : undefined}
                    onKeyDown=${onKeys} onInput=${() => { noteTyping(); followShortcut(); }}
                    onBlur=${() => setTyped(null)}></textarea>
          <button type="submit" data-testid="desk-send" disabled=${closed}>Send</button>
        </div>
        <${ShortcutList} id="shortcut-list" matches=${matches} active=${active} onPick=${pick} />
      </form>`;
  }

  // Draws the composer in its slot from now on; answers the function that stops.
  const show = () => mount(ui.composerSlot, Composer, deps.store);

  // Moves the focus to the reply box.
  const focus = () => input?.focus();

  return { stopTyping, show, focus };
}
