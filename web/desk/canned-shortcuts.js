// Canned answers' shortcuts and variables in the desk's composer (issue 16). Typing "/" at the start of a word opens
// a small listbox of the answers whose shortcut starts with what follows ("/gr" -> /greeting); Tab or Enter inserts
// the active one, the arrow keys move it, Escape closes the list, a click picks one. The answer replaces the
// "/shortcut" typed, with its variables filled: {visitor_name} (the visitor's name, or nothing when unknown: "Hello
// {visitor_name}, ..." becomes "Hello, ...") and {agent_name} (the agent's own name). It is inserted as text into
// the reply box and stays editable before sending.

import { html } from '/vendor/htm-preact-standalone.module.js';

const TOKEN = /(?:^|\s)\/([a-z0-9_-]{0,20})$/; // "/" and a partial shortcut, right before the caret
export const MAX_SHOWN = 8;

// The "/shortcut" being typed before the caret: { start (index of "/"), query }, or null.
export function typedShortcut(value, caret) {
  const found = TOKEN.exec(value.slice(0, caret));
  if (!found) return null;
  return { start: caret - found[1].length - 1, query: found[1] };
}

// The answers with a shortcut starting with `query`, an exact match first, at most MAX_SHOWN.
export function matchingAnswers(answers, query) {
  const found = answers.filter((answer) => typeof answer.shortcut === 'string' && answer.shortcut.startsWith(query));
  found.sort((a, b) => Number(b.shortcut === query) - Number(a.shortcut === query));
  return found.slice(0, MAX_SHOWN);
}

// The answer's text with its variables filled; an unknown visitor name leaves no gap ("Hello, ...").
export function fillVariables(text, { visitorName, agentName }) {
  let filled = text.replaceAll('{agent_name}', agentName || '');
  if (visitorName) return filled.replaceAll('{visitor_name}', visitorName);
  filled = filled.replace(/[ \t]*\{visitor_name\}/g, '');
  return filled.replace(/^[\s,;:]+/, '');
}

// The listbox under the reply box; `id` names it for the textarea's aria-controls, each option `${id}-${index}`.
export function ShortcutList({ id, matches, active, onPick }) {
  return html`
    <ul id=${id} class="shortcut-list" role="listbox" aria-label="Canned answers by shortcut"
        data-testid="shortcut-list" hidden=${matches.length === 0}>
      ${matches.map((answer, index) => html`
        <li key=${answer.shortcut} id=${`${id}-${index}`} role="option" aria-selected=${String(index === active)}
            class=${index === active ? 'active' : ''} data-testid="shortcut-option"
            onMouseDown=${(event) => event.preventDefault()} onClick=${() => onPick(answer)}>
          <span class="shortcut-key">/${answer.shortcut}</span> ${answer.title}
        </li>`)}
    </ul>`;
}
