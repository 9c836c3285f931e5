// Which part of the desk each server frame goes to (docs/websocket.md lists them); each part updates the store,
// which the views read. Acks, pongs and the errors that answer our own requests are matched to those requests by
// the WebSocket client (socket.js), so only errors without an id reach showError.

// parts: chats (conversations.js), offers (offers.js), holding (holding.js), calls (call-card.js), agenda
// (agenda.js), production (production.js); showMe(agent), showError(text); applySettings(settings): the tenant's
// settings, saved by an admin (settings.updated: the desk follows without a reload).
export function createFrameRouter({ chats, offers, holding, calls, agenda, production, showMe, showError,
  applySettings }) {
  const handlers = {
    message: (frame) => chats.receiveMessage(frame.message),
    offer: (frame) => {
      holding.forget(frame.conversation?.id); // back from a snooze or a reservation: an offer like any chat
      if (frame.callback) calls.receiveOffer(frame); // a call: its callback and the chat it came from
      offers.receive(frame.offer, frame.conversation, frame.messages ?? [], frame.contact);
    },
    'offer.withdrawn': (frame) => offers.withdrawn(frame),
    'conversation.assigned': (frame) => {
      if (frame.callback) calls.receiveOffer(frame); // ACD mode (CB-5): the call comes assigned, with no offer
      chats.receiveAssignment(frame.conversation, frame.messages ?? []);
      if (calls.holds(frame.conversation)) chats.select(frame.conversation.id); // answering the phone accepted it
    },
    'conversation.updated': (frame) => {
      if (chats.has(frame.conversation?.id)) chats.updateConversation(frame.conversation);
    },
    'conversation.snoozed': (frame) => holding.conversationSnoozed(frame.conversation),
    'conversation.transferred': (frame) => holding.conversationTransferred(frame.conversation),
    'conversation.released': (frame) => holding.conversationReleased(frame.conversation),
    'conversation.reserved': (frame) => holding.conversationReserved(frame.conversation, frame.reservation),
    'conversation.page': (frame) => chats.receivePage(frame.conversation_id, frame.page),
    'conversation.closed': (frame) => chats.receiveClosed(frame.conversation),
    'conversation.rated': (frame) => chats.receiveRating(frame),
    typing: (frame) => chats.receiveTyping(frame),
    'agent.status': (frame) => showMe(frame.agent),
    'callback.updated': (frame) => {
      calls.update(frame.callback);
      agenda.changed();
    },
    board: (frame) => production?.receive(frame),
    'settings.updated': (frame) => { if (frame.settings && typeof frame.settings === 'object') applySettings?.(frame.settings); },
    error: (frame) => {
      if (frame.id === undefined || frame.id === null) showError(frame.message || frame.code || 'Something went wrong.');
    },
  };
  return (frame) => {
    if (Object.hasOwn(handlers, frame?.type)) handlers[frame.type](frame);
  };
}
