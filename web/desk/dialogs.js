// The chat pane's three panels for a chat on the desk (issue 5): snooze it (ASYNC-10), transfer it to a queue or an
// agent, block the visitor (ASYNC-15). One panel is open at a time, state.panel ('snooze', 'transfer', 'block', or
// 'close' for close-form.js's form), for the conversation state.panelFor; its button toggles it. Each opening
// (state.panelOpened) is a fresh form; its error and busy state are state.panelError and state.panelBusy, the
// transfer form's list of agents state.transferAgents. ChatPanels draws the four forms into #chat-panels-slot.
// What a done snooze or transfer changes on the desk is the desk's.

import { ServerError } from '/widget/connection.js';
import { html, useLayoutEffect, useRef, useState } from '/vendor/htm-preact-standalone.module.js';
import { CloseForm } from '/desk/close-form.js';
import { visitorLabel } from '/desk/labels.js';
import { agentLabel } from '/desk/supervisor.js';

const SNOOZE_MIN_MS = 2 * 60 * 1000; // the server wants "until" at least a minute ahead: leave a margin
const SNOOZE_MAX_MS = 30 * 24 * 3600 * 1000;
const NAMES = ['snooze', 'transfer', 'block'];

// deps: store; selected() the chat pane's conversation view; serverNow(); request(action, fields);
// onSnoozed(conversation), onTransferred(conversation), onBlocked(view, conversation); loadGroups() and groups()
// the tenant's groups; me(); directory (the tenant's agents, see createAgentDirectory); knownAgents (id -> name).
export function createDialogs({ store, ...deps }) {
  function open(name) {
    const view = deps.selected();
    if (!view || view.conversation.status !== 'assigned') return;
    if (isOpen(name)) { // the button toggles its panel
      close();
      return;
    }
    const opened = (store.state.panelOpened ?? 0) + 1;
    store.set({ panel: name, panelFor: view.conversation.id, panelOpened: opened, panelError: null,
      panelBusy: false, ...(name === 'transfer' ? { transferAgents: 'loading' } : {}) });
    if (name === 'transfer') loadTransferTargets(opened);
  }

  function close() {
    if (NAMES.includes(store.state.panel)) store.set({ panel: null, panelFor: null });
  }

  const isOpen = (name) => store.state.panel === name;

  // The panel's conversation, if still on the desk (the panel closes otherwise).
  function panelConversation() {
    const view = store.conversations.get(store.state.panelFor);
    if (!view || view.conversation.status !== 'assigned') {
      close();
      return null;
    }
    return view;
  }

  // Sends the panel's request for its conversation: busy meanwhile; if it fails, the panel says that `failure` (e.g.
  // "the visitor could not be blocked"), and why.
  async function send(action, fields, done, failure) {
    const view = panelConversation();
    if (!view) return;
    const opened = store.state.panelOpened;
    store.set({ panelError: null, panelBusy: true });
    try {
      const ack = await deps.request(action, { conversation_id: view.conversation.id, ...fields });
      done(view, ack.conversation);
    } catch (error) {
      if (store.state.panelOpened !== opened) return; // the panel was closed or another one opened meanwhile
      const text = error instanceof ServerError ? `${failure[0].toUpperCase()}${failure.slice(1)}: ${error.message}`
        : `Not connected: ${failure}. Try again in a moment.`;
      store.set({ panelError: { code: error.code ?? 'not_connected', text } });
    } finally {
      store.set({ panelBusy: false });
    }
  }

  // ------ snooze (ASYNC-10): choice '3h', '24h' or 'until' (until: a datetime-local value, read as local time)

  function snooze({ choice, until, keep }) {
    const fields = { keep };
    if (choice === 'until') {
      const at = Date.parse(until);
      const now = deps.serverNow();
      if (!Number.isFinite(at) || at < now + SNOOZE_MIN_MS || at > now + SNOOZE_MAX_MS) {
        store.set({ panelError: { code: 'invalid_field', field: 'until',
          text: 'Choose a time between 2 minutes and 30 days from now.' } });
        return;
      }
      fields.until = new Date(at).toISOString();
    } else {
      fields.duration = choice;
    }
    send('snooze', fields, (view, conversation) => deps.onSnoozed({ ...view.conversation, ...conversation }),
      'the conversation could not be snoozed');
  }

  // The picker works in local time, from 2 minutes to 30 days ahead; 24 hours ahead at first.
  function snoozeRange() {
    const now = deps.serverNow();
    return { min: localInputValue(now + SNOOZE_MIN_MS), max: localInputValue(now + SNOOZE_MAX_MS),
      value: localInputValue(now + 24 * 3600 * 1000) };
  }

  // ------ transfer

  // The queue names come from GET /routing (supervisors and admins), the agents from GET /agents; both best effort:
  // the form already offers what we know.
  async function loadTransferTargets(opened) {
    const fresh = deps.directory.list(); // asked now, unless the copy is a few seconds old
    const [, listed] = await Promise.all([deps.loadGroups(), fresh.then(() => 'loaded', () => 'failed')]);
    if (store.state.panelOpened === opened && isOpen('transfer')) store.set({ transferAgents: listed });
  }

  // {queues, agents}: the options ([{value, label}]) for the conversation `view`.
  function transferTargets(view) {
    const me = deps.me();
    const queues = (deps.groups() ?? (me?.queues ?? []).map((id) => ({ id, name: id })))
      .map((group) => ({ value: `queue:${group.id}`,
        label: group.name && group.name !== group.id ? `${group.name} (${group.id})` : group.id }));
    const agents = agentTargets([me?.id, view?.conversation.agent?.id])
      .map(({ id, label }) => ({ value: `agent:${id}`, label }));
    return { queues, agents };
  }

  // [{id, label}]: the tenant's agents but those excluded, by name, with their status ("Bob Leroy (away)"); the
  // agents this desk knows by name while that list has never been read.
  function agentTargets(excluded) {
    const listed = deps.directory.cached()
      ?? [...deps.knownAgents.entries()].map(([id, name]) => ({ id, name, status: '' }))
        .sort((a, b) => a.name.localeCompare(b.name));
    return listed.filter((agent) => agent.id && !excluded.includes(agent.id))
      .map((agent) => ({ id: agent.id, label: agentLabel(agent, deps.me()?.id) }));
  }

  function transfer(target) {
    const [kind, ...rest] = target.split(':');
    const id = rest.join(':');
    if (!id) {
      store.set({ panelError: { code: 'missing_field', field: 'target', text: 'Choose a queue or an agent.' } });
      return;
    }
    send('transfer', kind === 'agent' ? { to_agent: id } : { to_queue: id },
      (view, conversation) => deps.onTransferred({ ...view.conversation, ...conversation }),
      'the conversation could not be transferred');
  }

  // ------ block the visitor (ASYNC-15)

  function block() {
    send('block_visitor', {}, (view, conversation) => deps.onBlocked(view, conversation),
      'the visitor could not be blocked');
  }

  return { open, close, isOpen, snooze, snoozeRange, transferTargets, transfer, block };
}

// The chat pane's panels: the close form (close-form.js) and the three here. closeForm, dialogs: their controllers.
export function ChatPanels({ store, state, closeForm, dialogs }) {
  const view = store.conversations.get(state.panelFor);
  const panel = (name) => {
    const shown = state.panel === name;
    // Each opening is a new form: its fields as they start, its first field focused.
    return { key: `${name}-${shown ? state.panelOpened : 'closed'}`, shown, error: shown ? state.panelError : null,
      busy: state.panelBusy, view: shown ? view : null };
  };
  return html`
    <${CloseForm} ...${panel('close')} form=${closeForm} settings=${state.settings} />
    <${SnoozeForm} ...${panel('snooze')} dialogs=${dialogs} />
    <${TransferForm} ...${panel('transfer')} dialogs=${dialogs} agentsListed=${state.transferAgents} />
    <${BlockForm} ...${panel('block')} dialogs=${dialogs} />`;
}

// A panel's focus: its first field when shown, the field an error is about (fields: name -> ref, `first` too).
function usePanelFocus(shown, error, fields) {
  useLayoutEffect(() => {
    if (shown) fields.first.current?.focus();
  }, [shown]);
  useLayoutEffect(() => {
    if (error?.field) fields[error.field]?.current?.focus();
  }, [error]);
}

const closeOnEscape = (dialogs) => (event) => { if (event.key === 'Escape') dialogs.close(); };

const submitWith = (handler) => (event) => {
  event.preventDefault();
  handler();
};

function PanelError({ name, error }) {
  return html`<p id=${`${name}-error`} class="error" data-testid=${`${name}-error`} role="alert"
    data-code=${error?.code} hidden=${!error}>${error?.text ?? ''}</p>`;
}

function PanelActions({ name, dialogs, children }) {
  return html`
    <div class="form-actions">
      <button type="button" class="secondary" data-testid=${`${name}-cancel`}
              onClick=${() => dialogs.close()}>Cancel</button>
      ${children}
    </div>`;
}

function SnoozeForm({ shown, dialogs, error, busy }) {
  const [choice, setChoice] = useState('3h');
  const [keep, setKeep] = useState(true);
  const [range] = useState(() => dialogs.snoozeRange());
  const [until, setUntil] = useState(range.value);
  const first = useRef(null);
  const untilField = useRef(null);
  usePanelFocus(shown, error, { first, until: untilField });
  const radio = (value, testid, label) => html`
    <label><input type="radio" name="snooze-for" value=${value} data-testid=${testid} checked=${choice === value}
                  ref=${value === '3h' ? first : undefined} onChange=${() => setChoice(value)} /> ${label}</label>`;
  return html`
    <form id="snooze-form" class="panel-form" data-testid="snooze-form" aria-labelledby="snooze-title" hidden=${!shown}
          onSubmit=${submitWith(() => dialogs.snooze({ choice, until, keep }))} onKeyDown=${closeOnEscape(dialogs)}>
      <h3 id="snooze-title">Snooze this conversation</h3>
      <fieldset class="snooze-choices">
        <legend>For</legend>
        ${radio('3h', 'snooze-3h', '3 hours')}
        ${radio('24h', 'snooze-24h', '24 hours')}
        ${radio('until', 'snooze-until-choice', 'Until')}
        <label for="snooze-until" class="visually-hidden">Snooze until (date and time)</label>
        <input id="snooze-until" type="datetime-local" data-testid="snooze-until" min=${range.min} max=${range.max}
               value=${until} ref=${untilField}
               onInput=${(event) => { setUntil(event.currentTarget.value); setChoice('until'); }} />
      </fieldset>
      <label class="check"><input id="snooze-keep" type="checkbox" data-testid="snooze-keep" checked=${keep}
                                  onChange=${(event) => setKeep(event.currentTarget.checked)} /> Keep it for me</label>
      <p id="snooze-keep-help" class="muted help">Kept, it comes back to you (reserved for you for 24 hours);
        otherwise it goes back to its group's queue. It comes back when the visitor writes or when the snooze
        ends.</p>
      <${PanelError} name="snooze" error=${error} />
      <${PanelActions} name="snooze" dialogs=${dialogs}>
        <button type="submit" id="snooze-submit" data-testid="snooze-submit" disabled=${busy}>Snooze</button>
      </${PanelActions}>
    </form>`;
}

// agentsListed: 'loading', 'loaded' or 'failed' (the tenant's agents, GET /agents).
function TransferForm({ shown, dialogs, error, busy, view, agentsListed }) {
  const [target, setTarget] = useState('');
  const first = useRef(null);
  usePanelFocus(shown, error, { first, target: first });
  const { queues, agents } = shown ? dialogs.transferTargets(view) : { queues: [], agents: [] };
  const offered = [...queues, ...agents].some((option) => option.value === target);
  const options = (list) => list.map(({ value, label }) => html`<option key=${value} value=${value}>${label}</option>`);
  return html`
    <form id="transfer-form" class="panel-form" data-testid="transfer-form" aria-labelledby="transfer-title"
          hidden=${!shown} onSubmit=${submitWith(() => dialogs.transfer(offered ? target : ''))}
          onKeyDown=${closeOnEscape(dialogs)}>
      <h3 id="transfer-title">Transfer this conversation</h3>
      <label for="transfer-target">To</label>
      <select id="transfer-target" data-testid="transfer-target" required ref=${first} value=${offered ? target : ''}
              onChange=${(event) => setTarget(event.currentTarget.value)}>
        <option value="" disabled>Choose a queue or an agent…</option>
        ${queues.length ? html`<optgroup label="Queues">${options(queues)}</optgroup>` : null}
        ${agents.length ? html`<optgroup label="Agents">${options(agents)}</optgroup>` : null}
      </select>
      <p id="transfer-help" class="muted help" data-testid="transfer-help"
         data-agents=${shown ? agentsListed : undefined}>
        ${shown ? transferHelp(agents.length > 0, agentsListed) : ''}</p>
      <${PanelError} name="transfer" error=${error} />
      <${PanelActions} name="transfer" dialogs=${dialogs}>
        <button type="submit" id="transfer-submit" data-testid="transfer-submit" disabled=${busy}>Transfer</button>
      </${PanelActions}>
    </form>`;
}

function transferHelp(anyAgent, listed) {
  let help = anyAgent
    ? 'An agent gets it as an offer (reserved for them for 24 hours if they cannot take it now); a queue offers it to its agents.'
    : 'A queue offers it to its agents.';
  if (listed === 'loading') help += ' Loading the agents…';
  else if (listed === 'failed') {
    help += anyAgent ? ' The list of agents could not be loaded: those shown are the ones this desk knows.'
      : ' The list of agents could not be loaded: close and open this panel to try again.';
  } else if (!anyAgent) help += ' There is no other agent in your team.';
  return help;
}

function BlockForm({ shown, dialogs, error, busy, view }) {
  const first = useRef(null);
  usePanelFocus(shown, error, { first });
  return html`
    <form id="block-form" class="panel-form" data-testid="block-form" aria-labelledby="block-title" hidden=${!shown}
          onSubmit=${submitWith(() => dialogs.block())} onKeyDown=${closeOnEscape(dialogs)}>
      <h3 id="block-title">Block this visitor?</h3>
      <p id="block-text" class="help">${view ? blockText(view) : ''}</p>
      <${PanelError} name="block" error=${error} />
      <${PanelActions} name="block" dialogs=${dialogs}>
        <button type="submit" id="block-submit" class="danger" data-testid="block-confirm" disabled=${busy}
                ref=${first}>Block visitor</button>
      </${PanelActions}>
    </form>`;
}

function blockText(view) {
  return `${visitorLabel(view.conversation)} will not be able to write in this conversation nor start a new one. `
    + 'This cannot be undone from the desk. You then end the chat as usual.';
}

// A <input type="datetime-local"> value (local time, to the minute) for a moment.
export function localInputValue(ms) {
  const date = new Date(ms);
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
