// The page's mount elements (index.html), by name: each part of the desk draws itself into its own.

const $ = (id) => document.getElementById(id);
export const ui = {
  loginSlot: $('login-slot'),
  deskView: $('desk-view'),
  agentBar: $('agent-bar'),
  sessionBar: $('session-bar'),
  deskNotices: $('desk-notices'),
  offersSlot: $('offers-slot'),
  waitingToggleSlot: $('waiting-toggle-slot'),
  waitingSlot: $('waiting-slot'),
  heldToggleSlot: $('held-toggle-slot'),
  heldSlot: $('held-slot'),
  callSettingsToggleSlot: $('call-settings-toggle-slot'),
  callSettingsSlot: $('call-settings-slot'),
  workspace: $('workspace'),
  conversationsSlot: $('conversations-slot'),
  heldLists: $('held-lists-slot'),
  closedSlot: $('closed-slot'),
  placeholder: $('chat-placeholder'),
  chatPane: $('chat-pane'),
  chatHeaderSlot: $('chat-header-slot'),
  panelsSlot: $('chat-panels-slot'),
  logSlot: $('chat-log-slot'),
  typingSlot: $('typing-slot'),
  composerSlot: $('composer-slot'),
};
