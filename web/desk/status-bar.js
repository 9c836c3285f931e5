// The top bar's agent part, drawn from state.me and state.connected: AgentBar (name, the load: chats and offers in
// use out of the capacity, status: Available, Away, Offline, and the queue toggles of queues.js) and SessionBar
// (the connection state and Log out). createStatusBar holds what they ask of the server.

import { html, useState } from '/vendor/htm-preact-standalone.module.js';
import { QueueToggles } from '/desk/queues.js';

// deps: store; socket (isOpen, request), api (setStatus), onAgent(agent) the server's answer, showError(text),
// onAvailable() the agent is Available again.
export function createStatusBar({ store, ...deps }) {
  async function changeStatus(status) {
    try {
      const agent = deps.socket.isOpen()
        ? (await deps.socket.request('set_status', { status })).agent
        : await deps.api.setStatus(status);
      deps.onAgent(agent);
      if (agent.status === 'available') deps.onAvailable();
    } catch (error) {
      deps.showError(`Could not change status: ${error.message}`);
    }
  }

  // CHAT-4: one switch per queue the agent belongs to; offers come only from the queues switched on.
  async function switchQueue(queue, on) {
    try {
      deps.onAgent((await deps.socket.request('switch_queue', { queue, on })).agent);
    } catch (error) {
      store.changed(); // drawn again from the agent the server holds: the box goes back
      deps.showError(`Could not switch the queue: ${error.message}`);
    }
  }

  return { changeStatus, switchQueue };
}

// The select shows the status the agent chose until the server answers, then the agent's status as the server
// holds it (the previous one if the change was refused).
export function AgentBar({ state, bar }) {
  const { me } = state;
  const [chosen, setChosen] = useState(null);
  const choose = async (event) => {
    setChosen(event.currentTarget.value);
    await bar.changeStatus(event.currentTarget.value);
    setChosen(null);
  };
  return html`
    <span id="agent-name" class="agent-name">${me?.name ?? ''}</span>
    <${AgentLoad} agent=${me} />
    <label class="status-field">Status
      <select id="status-select" data-testid="status-select" data-status=${me?.status} value=${chosen ?? me?.status}
              onChange=${choose}>
        <option value="available">Available</option>
        <option value="away">Away</option>
        <option value="offline">Offline</option>
      </select>
    </label>
    <span id="queues" class="queues" data-testid="queues" aria-label="Queues">
      <${QueueToggles} agent=${me} onSwitch=${bar.switchQueue} />
    </span>`;
}

// The server's count of the agent's slots in use (chats and pending offers), from /me and agent.status pushes:
// every open desk of the agent shows the same load.
function AgentLoad({ agent }) {
  const active = Number(agent?.active);
  const capacity = Number(agent?.capacity);
  const known = Number.isFinite(active) && Boolean(capacity);
  return html`
    <span id="agent-load" class="agent-load" data-testid="agent-load" title="Chats and offers in progress / capacity"
          hidden=${!known} data-active=${known ? String(active) : undefined}
          data-capacity=${known ? String(capacity) : undefined}>${known ? `${active} / ${capacity} chats` : ''}</span>`;
}

export function SessionBar({ state, onLogout }) {
  const text = state.connected ? 'connected' : 'disconnected';
  return html`
    <span id="connection" class="connection" data-testid="desk-connection" data-state=${text}
          role="status">${text}</span>
    <button id="logout" type="button" data-testid="logout" onClick=${onLogout}>Log out</button>`;
}
