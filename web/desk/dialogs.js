// The chat pane's three panels for a chat on the desk (issue 5): snooze it (ASYNC-10), transfer it to a queue or an
// agent, block the visitor (ASYNC-15). One is open at a time; its button toggles it. The forms' markup is in
// index.html; `ui` holds their elements. What a done snooze or transfer changes on the desk is the desk's.

import { ServerError, h } from '/widget/connection.js';
import { visitorLabel } from '/desk/labels.js';
import { hide, showText } from '/desk/notices.js';
import { agentLabel } from '/desk/supervisor.js';

const SNOOZE_MIN_MS = 2 * 60 * 1000; // the server wants "until" at least a minute ahead: leave a margin
const SNOOZE_MAX_MS = 30 * 24 * 3600 * 1000;

// deps: selected() / find(id) conversation views; hideCloseForm(); serverNow(); request(action, fields);
// onSnoozed(conversation), onTransferred(conversation), onBlocked(view, conversation); loadGroups() and groups()
// the tenant's groups; me(); directory (the tenant's agents, see createAgentDirectory); knownAgents (id -> name).
export function createDialogs(ui, deps) {
  const panels = () => ({ snooze: [ui.snoozeForm, ui.snoozeChat], transfer: [ui.transferForm, ui.transferChat],
    block: [ui.blockForm, ui.blockChat] });

  function open(name) {
    const view = deps.selected();
    if (!view || view.conversation.status !== 'assigned') return;
    const [form, button] = panels()[name];
    if (!form.hidden) { // the button toggles its panel
      close();
      return;
    }
    deps.hideCloseForm();
    close();
    form.dataset.conversationId = view.conversation.id;
    form.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    if (name === 'snooze') prepareSnooze();
    else if (name === 'transfer') prepareTransfer(view);
    else prepareBlock(view);
  }

  function close() {
    for (const [form, button] of Object.values(panels())) {
      form.hidden = true;
      delete form.dataset.conversationId;
      button.setAttribute('aria-expanded', 'false');
    }
  }

  function panelConversation(form) {
    const view = deps.find(form.dataset.conversationId);
    if (!view || view.conversation.status !== 'assigned') {
      close();
      return null;
    }
    return view;
  }

  // ------ snooze (ASYNC-10)

  function prepareSnooze() {
    hide(ui.snoozeError);
    ui.snoozeSubmit.disabled = false;
    ui.snoozeForm.querySelector('[value="3h"]').checked = true;
    ui.snoozeKeep.checked = true;
    // The picker works in local time; the server gets the ISO instant (with its Z).
    const now = deps.serverNow();
    ui.snoozeUntil.min = localInputValue(now + SNOOZE_MIN_MS);
    ui.snoozeUntil.max = localInputValue(now + SNOOZE_MAX_MS);
    ui.snoozeUntil.value = localInputValue(now + 24 * 3600 * 1000);
    ui.snoozeForm.querySelector('[value="3h"]').focus();
  }

  async function submitSnooze() {
    const view = panelConversation(ui.snoozeForm);
    if (!view) return;
    const choice = ui.snoozeForm.querySelector('input[name="snooze-for"]:checked')?.value ?? '3h';
    const fields = { conversation_id: view.conversation.id, keep: ui.snoozeKeep.checked };
    if (choice === 'until') {
      const until = Date.parse(ui.snoozeUntil.value); // a datetime-local value is read as local time
      const now = deps.serverNow();
      if (!Number.isFinite(until) || until < now + SNOOZE_MIN_MS || until > now + SNOOZE_MAX_MS) {
        ui.snoozeError.dataset.code = 'invalid_field';
        showText(ui.snoozeError, 'Choose a time between 2 minutes and 30 days from now.');
        ui.snoozeUntil.focus();
        return;
      }
      fields.until = new Date(until).toISOString();
    } else {
      fields.duration = choice;
    }
    hide(ui.snoozeError);
    ui.snoozeSubmit.disabled = true;
    try {
      const ack = await deps.request('snooze', fields);
      deps.onSnoozed({ ...view.conversation, ...ack.conversation });
    } catch (error) {
      ui.snoozeError.dataset.code = error.code ?? 'not_connected';
      showText(ui.snoozeError, error instanceof ServerError ? `The conversation could not be snoozed: ${error.message}`
        : 'Not connected: the conversation could not be snoozed. Try again in a moment.');
    } finally {
      ui.snoozeSubmit.disabled = false;
    }
  }

  // ------ transfer

  async function prepareTransfer(view) {
    hide(ui.transferError);
    ui.transferSubmit.disabled = false;
    const fresh = deps.directory.list(); // asked now, unless the copy is a few seconds old
    fillTransferTargets(view, 'loading');
    ui.transferTarget.focus();
    // The queue names come from GET /routing (supervisors and admins), the agents from GET /agents; both best
    // effort: the form already offers what we know.
    const [, listed] = await Promise.all([deps.loadGroups(), fresh.then(() => 'loaded', () => 'failed')]);
    if (ui.transferForm.dataset.conversationId === view.conversation.id && !ui.transferForm.hidden) {
      fillTransferTargets(view, listed);
    }
  }

  // listed: 'loading', 'loaded' or 'failed' (the tenant's agents, GET /agents).
  function fillTransferTargets(view, listed) {
    const me = deps.me();
    const chosen = ui.transferTarget.value;
    const queueOptions = (deps.groups() ?? (me?.queues ?? []).map((id) => ({ id, name: id })))
      .map((group) => new Option(group.name && group.name !== group.id ? `${group.name} (${group.id})` : group.id,
        `queue:${group.id}`));
    const agentOptions = agentTargets([me?.id, view.conversation.agent?.id])
      .map(({ id, label }) => new Option(label, `agent:${id}`));
    const placeholder = new Option('Choose a queue or an agent…', '');
    placeholder.disabled = true;
    const queues = h('optgroup', { label: 'Queues' });
    queues.append(...queueOptions);
    const agents = h('optgroup', { label: 'Agents' });
    agents.append(...agentOptions);
    ui.transferTarget.replaceChildren(placeholder, ...(queueOptions.length ? [queues] : []),
      ...(agentOptions.length ? [agents] : []));
    ui.transferTarget.value = [...ui.transferTarget.options].some((o) => o.value === chosen && chosen) ? chosen : '';
    if (!ui.transferTarget.value) placeholder.selected = true;
    let help = agentOptions.length
      ? 'An agent gets it as an offer (reserved for them for 24 hours if they cannot take it now); a queue offers it to its agents.'
      : 'A queue offers it to its agents.';
    if (listed === 'loading') help += ' Loading the agents…';
    else if (listed === 'failed') {
      help += agentOptions.length ? ' The list of agents could not be loaded: those shown are the ones this desk knows.'
        : ' The list of agents could not be loaded: close and open this panel to try again.';
    } else if (!agentOptions.length) help += ' There is no other agent in your team.';
    ui.transferHelp.dataset.agents = listed;
    ui.transferHelp.textContent = help;
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

  async function submitTransfer() {
    const view = panelConversation(ui.transferForm);
    if (!view) return;
    const [kind, ...rest] = ui.transferTarget.value.split(':');
    const target = rest.join(':');
    if (!target) {
      ui.transferError.dataset.code = 'missing_field';
      showText(ui.transferError, 'Choose a queue or an agent.');
      ui.transferTarget.focus();
      return;
    }
    const fields = { conversation_id: view.conversation.id, ...(kind === 'agent' ? { to_agent: target }
      : { to_queue: target }) };
    hide(ui.transferError);
    ui.transferSubmit.disabled = true;
    try {
      const ack = await deps.request('transfer', fields);
      deps.onTransferred({ ...view.conversation, ...ack.conversation });
    } catch (error) {
      ui.transferError.dataset.code = error.code ?? 'not_connected';
      showText(ui.transferError, error instanceof ServerError ? `The conversation could not be transferred: ${error.message}`
        : 'Not connected: the conversation could not be transferred. Try again in a moment.');
    } finally {
      ui.transferSubmit.disabled = false;
    }
  }

  // ------ block the visitor (ASYNC-15)

  function prepareBlock(view) {
    hide(ui.blockError);
    ui.blockSubmit.disabled = false;
    ui.blockText.textContent = `${visitorLabel(view.conversation)} will not be able to write in this conversation nor `
      + 'start a new one. This cannot be undone from the desk. You then end the chat as usual.';
    ui.blockSubmit.focus();
  }

  async function submitBlock() {
    const view = panelConversation(ui.blockForm);
    if (!view) return;
    hide(ui.blockError);
    ui.blockSubmit.disabled = true;
    try {
      const ack = await deps.request('block_visitor', { conversation_id: view.conversation.id });
      deps.onBlocked(view, ack.conversation);
    } catch (error) {
      ui.blockError.dataset.code = error.code ?? 'not_connected';
      showText(ui.blockError, error instanceof ServerError ? `The visitor could not be blocked: ${error.message}`
        : 'Not connected: the visitor could not be blocked. Try again in a moment.');
    } finally {
      ui.blockSubmit.disabled = false;
    }
  }

  const submit = (handler) => (event) => { event.preventDefault(); handler(); };
  // The panels' own listeners, as [target, type, listener] for the desk to add and remove with its others.
  const listeners = [
    [ui.snoozeChat, 'click', () => open('snooze')],
    [ui.transferChat, 'click', () => open('transfer')],
    [ui.blockChat, 'click', () => open('block')],
    [ui.snoozeCancel, 'click', () => close()],
    [ui.transferCancel, 'click', () => close()],
    [ui.blockCancel, 'click', () => close()],
    [ui.snoozeForm, 'submit', submit(submitSnooze)],
    [ui.transferForm, 'submit', submit(submitTransfer)],
    [ui.blockForm, 'submit', submit(submitBlock)],
    [ui.snoozeUntil, 'input', () => { ui.snoozeForm.querySelector('[value="until"]').checked = true; }],
    ...[ui.snoozeForm, ui.transferForm, ui.blockForm].map((form) => [form, 'keydown', (event) => {
      if (event.key === 'Escape') close();
    }]),
  ];

  return { open, close, isOpen: (name) => !panels()[name][0].hidden, listeners };
}

export function localInputValue(ms) {
  const date = new Date(ms);
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
