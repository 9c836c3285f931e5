// The agents and queues the desk can name: agents the API has named to us (the tenant's agents, message senders,
// holders in the held report; the store's knownAgents, id -> name), to say who transferred a chat; the tenant's
// agents for the transfer pickers (createAgentDirectory: GET /agents, asked when a picker opens, kept a few
// seconds), with the named ones as their fallback; the tenant's groups (GET /routing for supervisors and admins,
// else the agent's own queues).

import { ApiError } from '/widget/connection.js';
import { createAgentDirectory } from '/desk/supervisor.js';

// deps: api (agents, routing); store (knownAgents); me() the signed-in agent.
export function createNames(deps) {
  const { knownAgents } = deps.store;
  let groups = null; // [{id, name}]

  const directory = createAgentDirectory(async () => {
    const answer = await deps.api.agents();
    for (const agent of answer?.agents ?? []) learnAgent(agent?.id, agent?.name);
    return answer;
  });

  function agentName(id) {
    return knownAgents.get(id);
  }

  // An id without a name is no use in a list of targets.
  function learnAgent(id, name) {
    if (id && typeof id === 'string' && name && typeof name === 'string') knownAgents.set(id, name);
  }

  async function loadGroups() {
    if (groups) return groups;
    try {
      const routing = await deps.api.routing();
      groups = (routing?.groups ?? []).map((group) => ({ id: group.id, name: group.name || group.id }));
    } catch (error) {
      const fallback = (deps.me()?.queues ?? []).map((id) => ({ id, name: id }));
      if (error instanceof ApiError && error.status === 403) groups = fallback; // not for us: ask once
      return fallback;
    }
    return groups;
  }

  function groupName(id) {
    const group = groups?.find((candidate) => candidate.id === id);
    return group?.name || id || '';
  }

  return { directory, agentName, learnAgent, loadGroups, groupName, groups: () => groups };
}
