// The agents and queues the desk can name: agents the API has named to us (the tenant's agents, message senders,
// holders in the held report; the store's knownAgents, id -> name), to say who transferred a chat; the tenant's
// agents for the transfer pickers (createAgentDirectory: GET /agents, asked when a picker opens, kept a few
// seconds), with the named ones as their fallback; the tenant's groups (GET /routing for supervisors and admins,
// else the agent's own queues), asked again when the copy is over GROUPS_MAX_AGE_MS old, so that a routing change
// made in the console (a group added or renamed) reaches the transfer picker without a reload.

import { ApiError } from '/widget/connection.js';
import { createAgentDirectory } from '/desk/supervisor.js';

const GROUPS_MAX_AGE_MS = 30_000;

// deps: api (agents, routing); store (knownAgents); me() the signed-in agent.
export function createNames(deps) {
  const { knownAgents } = deps.store;
  let groups = null; // [{id, name}]
  let groupsAt = 0; // when `groups` was read (Date.now())

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
    if (groups && (groupsAt === Infinity || Date.now() - groupsAt < GROUPS_MAX_AGE_MS)) return groups;
    try {
      const routing = await deps.api.routing();
      groups = (routing?.groups ?? []).map((group) => ({ id: group.id, name: group.name || group.id }));
      groupsAt = Date.now();
    } catch (error) {
      const fallback = (deps.me()?.queues ?? []).map((id) => ({ id, name: id }));
      if (error instanceof ApiError && error.status === 403) { // not for us: ask once
        groups = fallback;
        groupsAt = Infinity;
      }
      return groups ?? fallback;
    }
    return groups;
  }

  function groupName(id) {
    const group = groups?.find((candidate) => candidate.id === id);
    return group?.name || id || '';
  }

  return { directory, agentName, learnAgent, loadGroups, groupName, groups: () => groups };
}
