// The top bar's agent part: name, status (Available, Away, Offline), the load (chats and offers in use out of the
// capacity), the queue toggles (queues.js) and the connection state. The markup is in index.html; `ui` holds
// agentName, agentLoad, statusSelect, queues, connection.

import { renderQueues } from '/desk/queues.js';

// deps: socket (isOpen, request), api (setStatus), me() the agent as last known, onAgent(agent) the server's
// answer, showError(text), onAvailable() the agent is Available again.
export function createStatusBar(ui, deps) {
  // me: the agent as now known; changed: the fields the server just sent (the status select follows only those).
  function showAgent(me, changed) {
    ui.agentName.textContent = me.name ?? '';
    if (changed.status) {
      ui.statusSelect.value = changed.status;
      ui.statusSelect.dataset.status = changed.status;
    }
    showQueues(me);
    showLoad(me);
  }

  // The server's count of the agent's slots in use (chats and pending offers), from /me and agent.status pushes:
  // every open desk of the agent shows the same load.
  function showLoad(me) {
    const active = Number(me?.active);
    const capacity = Number(me?.capacity);
    ui.agentLoad.hidden = !Number.isFinite(active) || !capacity;
    if (ui.agentLoad.hidden) return;
    ui.agentLoad.textContent = `${active} / ${capacity} chats`;
    ui.agentLoad.dataset.active = String(active);
    ui.agentLoad.dataset.capacity = String(capacity);
  }

  // CHAT-4: one switch per queue the agent belongs to; offers come only from the queues switched on.
  function showQueues(me) {
    renderQueues(ui.queues, me, switchQueue);
  }

  async function switchQueue(queue, on) {
    try {
      deps.onAgent((await deps.socket.request('switch_queue', { queue, on })).agent);
    } catch (error) {
      showQueues(deps.me()); // back to what the server holds
      deps.showError(`Could not switch the queue: ${error.message}`);
    }
  }

  async function changeStatus(status) {
    const previous = deps.me()?.status;
    try {
      const agent = deps.socket.isOpen()
        ? (await deps.socket.request('set_status', { status })).agent
        : await deps.api.setStatus(status);
      deps.onAgent(agent);
      if (agent.status === 'available') deps.onAvailable();
    } catch (error) {
      if (previous) ui.statusSelect.value = previous;
      deps.showError(`Could not change status: ${error.message}`);
    }
  }

  function showConnection(connected) {
    const text = connected ? 'connected' : 'disconnected';
    ui.connection.textContent = text;
    ui.connection.dataset.state = text;
  }

  const listeners = [[ui.statusSelect, 'change', () => changeStatus(ui.statusSelect.value)]];

  return { showAgent, showConnection, listeners };
}
