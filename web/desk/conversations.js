// The chats on the desk: one conversation view each (conversation-list.js) in the store's `conversations`,
// assigned, updated, rated, closed or taken off the desk by the server's frames; which one the chat pane shows (the
// selection, `state.selectedId`). The desk calls these on frames and REST answers; each changes the views, then
// the store says so and the list, the chat header and the typing line (chat-pane.js) draw again.

import { ApiError, loadHistory as loadPages } from '/widget/connection.js';
import { ChatHeader, TypingLine } from '/desk/chat-pane.js';
import { ActiveConversations, ClosedConversations, createConversationView } from '/desk/conversation-list.js';
import { visitorLabel } from '/desk/labels.js';
import { mount } from '/desk/store.js';

// deps (read when used, so the desk may create them after this): store (conversations, offers, knownContacts);
// api; holding; finishOffer(entry); showMessage(message, options); announce(text); stopTyping(view, options);
// closeForm; dialogs; records.
export function createConversations(ui, deps) {
  const { store } = deps;
  const { conversations, offers, knownContacts } = store;
  const selectedId = () => store.state.selectedId ?? null;
  let closedTop = 0; // the Closed list's ranks: a chat ended now goes first, one loaded closed goes last
  let closedBottom = 0;

  async function loadHistory(view) {
    const show = (message) => deps.showMessage(message, { quiet: true });
    await loadPages(deps.api, view.conversation.id, () => view.maxSeq, show);
  }

  // ------------------------------------------------ assigned conversations

  function receiveAssignment(conversation, messages) {
    deps.holding.forget(conversation.id);
    const entry = offers.get(conversation.id);
    if (entry) deps.finishOffer(entry); // accepted, maybe from another tab
    upsertConversation(conversation);
    messages.forEach((message) => deps.showMessage(message, { quiet: true }));
    if (selectedId() === null || conversations.get(selectedId())?.conversation.status === 'closed') {
      select(conversation.id);
    }
    deps.announce(`New conversation: ${visitorLabel(conversations.get(conversation.id).conversation)}`);
  }

  async function receiveMessage(message) {
    if (!conversations.has(message.conversation_id)) {
      // A message for a conversation we have not heard of yet (e.g. the assignment frame was missed).
      try {
        const conversation = await deps.api.conversation(message.conversation_id);
        if (conversation.status !== 'assigned' && !conversations.has(conversation.id)) return;
        const view = upsertConversation(conversation);
        await loadHistory(view);
      } catch {
        return;
      }
    }
    deps.showMessage(message);
  }

  function upsertConversation(conversation) {
    const existing = conversations.get(conversation.id);
    if (existing) {
      updateConversation(conversation);
      return existing;
    }
    const view = createConversationView(conversation, knownContacts.get(conversation.id));
    if (conversation.status === 'closed') view.closedRank = --closedBottom;
    conversations.set(conversation.id, view);
    renderConversation(view);
    return view;
  }

  function updateConversation(conversation) {
    const view = conversations.get(conversation.id);
    if (!view) return;
    if (view.conversation.status === 'closed' && conversation.status !== 'closed') return; // a late frame
    view.conversation = { ...view.conversation, ...conversation };
    renderConversation(view);
  }

  // The visitor rated a chat after it ended.
  function receiveRating(frame) {
    const view = conversations.get(frame.conversation_id);
    const rating = Number(frame.rating);
    if (!view || !Number.isInteger(rating)) return;
    view.conversation = { ...view.conversation, rating };
    renderConversation(view);
    deps.announce(`${visitorLabel(view.conversation)} rated the chat ${rating} out of 5.`);
  }

  function markClosed(view, conversation) {
    view.conversation = { ...view.conversation, ...conversation, status: 'closed' };
    deps.stopTyping(view, { tell: false });
    view.visitorTyping = 0;
    if (view.closedRank === undefined) view.closedRank = ++closedTop;
    if (view.conversation.id === selectedId() && deps.closeForm.isOpen()) deps.closeForm.close();
    renderConversation(view);
  }

  // A view changed: for the selected chat, its customer record is looked up (contact.js) and a panel that no longer
  // applies closes; then every part draws again from the store.
  function renderConversation(view) {
    const { conversation } = view;
    if (conversation.id === selectedId()) {
      deps.records.lookUp(view);
      if (conversation.status !== 'assigned') deps.dialogs.close();
      else if (conversation.visitor_blocked && deps.dialogs.isOpen('block')) deps.dialogs.close();
    }
    store.changed();
  }

  // ------------------------------------------------ chat pane

  function select(id) {
    const view = conversations.get(id);
    if (!view) return;
    const previous = conversations.get(selectedId());
    if (previous && previous !== view) deps.stopTyping(previous, { tell: true });
    if (previous !== view) {
      deps.closeForm.close();
      deps.dialogs.close();
    }
    view.unread = 0;
    showPane(true); // first, so that the log is drawn visible and scrolls to its newest message
    store.set({ selectedId: id });
    renderConversation(view);
  }

  // The chat pane (index.html's skeleton) or, with no chat selected, the placeholder.
  function showPane(shown) {
    ui.placeholder.hidden = shown;
    ui.chatPane.hidden = !shown;
  }

  // The header's action buttons: 'close' opens the close form, the others their panel (dialogs.js).
  function openPanel(name) {
    if (name === 'close') deps.closeForm.open();
    else deps.dialogs.open(name);
  }

  // Draws the list, the Closed list, the chat header and the typing line from now on; answers the function that
  // stops drawing them.
  function show() {
    const unmounts = [
      mount(ui.conversationsSlot, ActiveConversations, store, { onSelect: select }),
      mount(ui.closedSlot, ClosedConversations, store, { onSelect: select }),
      mount(ui.chatHeaderSlot, ChatHeader, store, { records: deps.records, open: openPanel }),
      mount(ui.typingSlot, TypingLine, store),
    ];
    return () => unmounts.forEach((unmount) => unmount());
  }

  // ------------------------------------------------ typing indicators

  function receiveTyping(frame) {
    if (frame.sender?.kind !== 'visitor') return;
    const view = conversations.get(frame.conversation_id);
    if (!view || view.conversation.status === 'closed') return;
    view.visitorTyping = frame.typing ? Date.now() : 0;
    store.changed();
  }

  // ------------------------------------------------ leaving the desk

  // Takes a conversation off the desk (not to Closed: it goes on elsewhere). False if it was not on it.
  function leaveDesk(conversationId) {
    const view = conversations.get(conversationId);
    if (!view || view.conversation.status === 'closed') return false;
    deps.stopTyping(view, { tell: false });
    conversations.delete(conversationId);
    if (selectedId() === conversationId) {
      deps.closeForm.close();
      deps.dialogs.close();
      store.set({ selectedId: null });
      showPane(false);
      const next = [...conversations.values()].find((other) => other.conversation.status !== 'closed');
      if (next) select(next.conversation.id);
    }
    store.changed();
    return true;
  }

  // A chat the server no longer lists as ours (we were offline meanwhile): closed, or moved on.
  async function settleMissing(view) {
    const { id } = view.conversation;
    try {
      const conversation = await deps.api.conversation(id);
      if (conversations.get(id) !== view) return;
      if (conversation.status === 'closed') markClosed(view, conversation);
      else if (conversation.status === 'snoozed') deps.holding.conversationSnoozed(conversation);
      else if (conversation.status !== 'assigned') leaveDesk(id);
    } catch (error) {
      if (conversations.get(id) !== view) return;
      if (error instanceof ApiError && (error.status === 403 || error.status === 404)) leaveDesk(id);
      else markClosed(view, {});
    }
  }

  // ------------------------------------------------ the visitor's page (ASYNC-16)

  function receivePage(conversationId, page) {
    if (!conversationId || !page) return;
    const view = conversations.get(conversationId);
    if (view) {
      view.conversation = { ...view.conversation, page };
      renderConversation(view);
    }
    deps.holding.receivePage(conversationId, page);
  }

  // ------------------------------------------------ after a reload or a reconnect (GET /conversations)

  // The ids of the chats in progress on the desk, before the GET.
  function activeIds() {
    return new Set([...conversations.values()]
      .filter((view) => view.conversation.status !== 'closed').map((view) => view.conversation.id));
  }

  // What changed while we were not listening: chats of knownActive the server no longer lists (closed, moved on).
  function settleAll(assigned, knownActive) {
    const assignedIds = new Set(assigned.map((conversation) => conversation.id));
    for (const id of knownActive) {
      const view = conversations.get(id);
      if (view && !assignedIds.has(id)) settleMissing(view);
    }
  }

  // The chats the server lists as ours, a new one with its history; the first selected if none is.
  async function showAssigned(assigned) {
    await Promise.all(assigned.map(async (conversation) => {
      const isNew = !conversations.has(conversation.id);
      const view = upsertConversation(conversation);
      if (isNew) await loadHistory(view);
    }));
    if (selectedId() === null) {
      const first = [...conversations.values()].find((view) => view.conversation.status !== 'closed');
      if (first) select(first.conversation.id);
    }
  }

  return {
    activeIds, settleAll, showAssigned, show,
    selected: () => conversations.get(selectedId()),
    loadHistory, receiveAssignment, receiveMessage, upsertConversation, updateConversation, receiveRating, markClosed,
    renderConversation, select, receiveTyping, leaveDesk, settleMissing, receivePage,
    has: (id) => conversations.has(id),
    // A `conversation.closed` frame: the chat stays listed, closed, if it was on this desk.
    receiveClosed: (conversation) => {
      const view = conversations.get(conversation?.id);
      if (view) markClosed(view, conversation);
    },
  };
}
