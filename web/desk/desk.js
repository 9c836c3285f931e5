// Guichet agent desk: login, status, chat offers (accept / reject with a countdown), one tab per
// assigned chat with typing indicators and canned answers, the customer's record (shown, or created for a new
// customer, from the offer card or the chat), and ending a chat with a disposition, saving the chat as a case on
// that record. Asynchronous conversations (issue 5): marked as such (ASYNC-9), snoozed off the desk into the
// Snoozed list (ASYNC-10), transferred to a queue or an agent, the visitor blocked (ASYNC-15), the visitor's page
// kept current (ASYNC-16); supervisors and admins get the Waiting and Held views (supervisor.js) and the Calls view
// (live-calls.js: the live calls, issue 14).
// Every view is a Preact + htm component (web/vendor/) drawn from the store; visitor and agent text is only ever
// rendered as text.
//
// This module signs in, builds each part with what it needs, mounts the views, and loads what REST answers.
// Server frames go through frames.js to the part they concern; parts update the store (store.js), and the views
// mounted on it draw again. Shared: api.js (the one REST client), socket.js (the WebSocket client: reconnect,
// request ids, sync), store.js, frames.js, session.js, config.js, elements.js (the mount elements), labels.js,
// details.js, names.js. Views and parts: login.js; notices.js; status-bar.js with queues.js (the queue toggles);
// offers.js (offer cards, and the clock skew measured on them); conversations.js (the chats on the desk and the
// selection) with conversation-list.js; chat-pane.js, messages.js, composer.js (reply box, canned answers, our
// typing); contact.js (the customer record); close-form.js; dialogs.js (snooze, transfer, block); holding.js with
// held-lists.js (Snoozed and Reserved); alerts.js; supervisor.js (Waiting and Held: waiting.js, held.js,
// supervisor-shared.js); production.js and reports.js (the Reports area, issue 15); admin.js (the Administration
// area, issue 16: its pages, Call settings among them, are admin-<id>.js). Calls (issue 13): call-card.js (a
// call's offer and card), agenda.js (the scheduled callbacks), line-prompt.js (the phone to ring, asked at login).

import { ApiError } from '/widget/connection.js';
import { createAgenda } from '/desk/agenda.js';
import { alerts } from '/desk/alerts.js';
import { createAdmin } from '/desk/admin.js';
import { createApi } from '/desk/api.js';
import { createCallCards } from '/desk/call-card.js';
import { startSoftphone } from '/desk/call-softphone.js';
import { createCloseForm } from '/desk/close-form.js';
import { createComposer } from '/desk/composer.js';
import { readConfig } from '/desk/config.js';
import { createRecords } from '/desk/contact.js';
import { createConversations } from '/desk/conversations.js';
import { ChatPanels, createDialogs } from '/desk/dialogs.js';
import { ui } from '/desk/elements.js';
import { createFrameRouter } from '/desk/frames.js';
import { createHolding } from '/desk/holding.js';
import { visitorLabel } from '/desk/labels.js';
import { createLinePrompt } from '/desk/line-prompt.js';
import { createLiveCalls } from '/desk/live-calls.js';
import { createProductionView } from '/desk/production.js';
import { createReports } from '/desk/reports.js';
import { createLogin } from '/desk/login.js';
import { createMessages } from '/desk/messages.js';
import { createNames } from '/desk/names.js';
import { Notices, createNotices } from '/desk/notices.js';
import { createOfferArea } from '/desk/offers.js';
import { clearSession, loadSession } from '/desk/session.js';
import { createDeskSocket } from '/desk/socket.js';
import { AgentBar, SessionBar, createStatusBar } from '/desk/status-bar.js';
import { createDeskStore, mount } from '/desk/store.js';
import { createHeldView, createSupervisor } from '/desk/supervisor.js';

const TYPING_STALE_MS = 10 * 1000; // the visitor's indicator goes out if nothing refreshes it (a lost "false")
const TICK_MS = 250;
const DEFAULT_SETTINGS = {
  acceptance_seconds: 30,
  reject_allowed: true,
  disposition_required: false,
  dispositions: [],
  canned_answers: [],
};

const config = readConfig(import.meta.url);
const baseTitle = document.title;

let desk = null; // the signed-in desk, see startDesk

// ---------------------------------------------------------------- the desk

function startDesk(session) {
  desk?.stop();
  desk = createDesk(session);
  const { showError } = desk;
  desk.start().catch((error) => {
    if (!(error instanceof ApiError && error.status === 401)) showError(`Could not load the desk: ${error.message}`);
  });
}

function createDesk(session) {
  const { tenant, id_token: token } = session;
  const api = createApi(config.api, tenant, token, () => endSession('Your session has expired. Please sign in again.'));
  const store = createDeskStore({ me: session.agent ?? null, settings: DEFAULT_SETTINGS, connected: false, panel: null,
    error: null, notice: null, announcement: null });
  const notices = createNotices(store);
  const { showError, showNotice, announce } = notices;
  const { conversations, offers, knownAgents } = store;
  let settings = { ...DEFAULT_SETTINGS };
  let me = session.agent ?? null;
  let connectedOnce = false;
  let stopped = false;
  let ticker = null;
  const names = createNames({ api, store, me: () => me });
  const { directory, agentName, learnAgent, loadGroups, groupName } = names;
  const chats = createConversations(ui, {
    store,
    api,
    get holding() { return holding; },
    finishOffer: (entry) => offerArea.finish(entry),
    showMessage: (message, options) => messageLog.show(message, options),
    announce: (text) => announce(text),
    stopTyping: (view, options) => composer.stopTyping(view, options),
    get closeForm() { return closeForm; },
    get dialogs() { return dialogs; },
    get records() { return records; },
  });
  const {
    loadHistory, upsertConversation, updateConversation, markClosed, renderConversation, select, leaveDesk,
  } = chats;

  const connection = createDeskSocket({
    ws: config.ws,
    tenant,
    token,
    onOpen: handleConnected,
    onFrame: (frame) => routeFrame(frame),
    onStateChange: (connected) => store.set({ connected }),
    beforeRetry: () => api.me(), // answers 401 (and so signs out) when the token has expired
  });
  // Supervisors and admins: the Waiting and Held views (supervisor.js), shown once /me confirms the role; one at a
  // time.
  const supervisor = createSupervisor({
    store, toggleSlot: ui.waitingToggleSlot, viewSlot: ui.waitingSlot, hide: [ui.workspace], load: () => api.waiting(),
  });
  const heldView = createHeldView({
    store,
    toggleSlot: ui.heldToggleSlot,
    viewSlot: ui.heldSlot,
    hide: [ui.workspace],
    load: () => api.held(),
    groups: () => loadGroups(),
    agents: directory,
    release: (id) => api.release(id),
    transfer: (id, target) => api.transfer(id, target),
    onAgents: (named) => named.forEach(({ id, name }) => learnAgent(id, name)),
  });
  const liveCalls = createLiveCalls({
    store, toggleSlot: ui.callsToggleSlot, viewSlot: ui.callsSlot, hide: [ui.workspace], load: () => api.liveCalls(),
  });
  const production = createProductionView({ store, toggleSlot: ui.productionToggleSlot, viewSlot: ui.productionSlot,
    hide: [ui.workspace], request: (action, fields) => connection.request(action, fields),
    announce: (text) => announce(text) });
  const reports = createReports({ store, api, groups: () => loadGroups(), toggleSlot: ui.reportsToggleSlot,
    viewSlot: ui.reportsSlot, hide: [ui.workspace], announce: (text) => announce(text) });
  const admin = createAdmin({ store, api, toggleSlot: ui.adminToggleSlot, viewSlot: ui.adminSlot,
    hide: [ui.workspace], announce: (text) => announce(text) });

  const statusBar = createStatusBar({
    store,
    socket: connection,
    api,
    onAgent: (agent) => showMe(agent),
    showError: (text) => showError(text),
    onAvailable: () => notices.hideNotice(),
  });
  const offerArea = createOfferArea(ui, {
    store,
    baseTitle,
    agentName,
    get records() { return records; },
    request: (action, fields) => connection.request(action, fields),
    onAccepted: (entry, ack) => offerAccepted(entry, ack),
    onRejected: (ack) => { if (ack.agent) showMe(ack.agent); },
    isAssigned: (id) => conversations.get(id)?.conversation.status === 'assigned',
    showNotice: (text) => showNotice(text),
    showError: (text) => showError(text),
    announce: (text) => announce(text),
  });
  const serverNow = () => offerArea.serverNow();
  const holding = createHolding(ui, {
    store,
    api,
    me: () => me,
    leaveDesk: (id) => leaveDesk(id),
    stopped: () => stopped,
    showNotice: (text) => showNotice(text),
    announce: (text) => announce(text),
    learnAgent: (id, name) => learnAgent(id, name),
    agentName: (id) => agentName(id),
    groupName: (id) => groupName(id),
  });
  const { conversationSnoozed } = holding;
  const closeForm = createCloseForm({
    store,
    selected: () => chats.selected(),
    serverNow,
    request: (fields) => connection.request('close_conversation', fields),
    onClosed: (view, conversation) => markClosed(view, conversation),
    announce: (text) => announce(text),
  });
  const dialogs = createDialogs({
    store,
    selected: () => chats.selected(),
    serverNow,
    request: (action, fields) => connection.request(action, fields),
    onSnoozed: (conversation) => conversationSnoozed(conversation),
    onTransferred: (conversation) => holding.conversationTransferred(conversation),
    onBlocked: (view, conversation) => {
      updateConversation({ ...conversation, visitor_blocked: true });
      dialogs.close();
      announce(`${visitorLabel(view.conversation)} is blocked. End the chat when you are done.`);
      document.getElementById('close-chat')?.focus();
    },
    loadGroups: () => loadGroups(),
    groups: () => names.groups(),
    me: () => me,
    directory,
    knownAgents,
  });
  const records = createRecords({
    store,
    api,
    renderConversation: (view) => renderConversation(view),
    announce: (text) => announce(text),
  });
  const messageLog = createMessages({
    store,
    socket: connection,
    learnAgent: (id, name) => learnAgent(id, name),
    showError: (text) => showError(text),
    hideError: () => notices.hideError(),
  });
  const showMessage = messageLog.show;
  const composer = createComposer(ui, {
    store,
    selected: () => chats.selected(),
    socket: connection,
    send: (view, text) => messageLog.send(view, text),
    showError: (text) => showError(text),
  });

  const calls = createCallCards(ui, { store, api, serverNow, records, announce, showError,
    request: (action, fields) => connection.request(action, fields),
    groups: () => names.groups(), me: () => me, directory,
    openClose: () => closeForm.open() });
  const agenda = createAgenda({ store, api, toggleSlot: ui.agendaToggleSlot, viewSlot: ui.agendaSlot,
    hide: [ui.workspace] });
  const linePrompt = createLinePrompt({ store, api, buttonSlot: ui.lineSlot, dialogSlot: ui.linePromptSlot,
    onAgent: (agent) => showMe(agent), announce });

  const routeFrame = createFrameRouter({ chats, offers: offerArea, holding, calls,
    agenda: { changed: () => { agenda.changed(); liveCalls.changed(); } }, production, showMe, showError, applySettings });

  const listeners = [
    [window, 'online', () => connection.retryNow()],
  ];
  let unmount = [];

  async function start() {
    for (const [target, type, listener] of listeners) target.addEventListener(type, listener);
    unmount = [
      mount(ui.agentBar, AgentBar, store, { bar: statusBar }),
      mount(ui.sessionBar, SessionBar, store, { onLogout: logout }),
      mount(ui.deskNotices, Notices, store),
      mount(ui.panelsSlot, ChatPanels, store, { closeForm, dialogs }),
      chats.show(),
      messageLog.showLog(ui.logSlot),
      composer.show(),
      holding.show(),
      calls.show(),
      linePrompt.show(),
      startSoftphone({ store, request: (action, fields) => connection.request(action, fields), apiBase: config.api,
        announce, showError }).stop,
    ];
    resetView();
    supervisor.start();
    supervisor.setRoles(me?.roles);
    heldView.start();
    heldView.setRoles(me?.roles);
    liveCalls.start();
    liveCalls.setRoles(me?.roles);
    production.start();
    production.setRoles(me?.roles);
    reports.start();
    admin.start();
    agenda.start();
    loginView.hide();
    ui.deskView.hidden = false;
    const [agent, loaded] = await Promise.all([api.me(), api.settings().catch(() => null)]);
    showMe(agent);
    linePrompt.ask(me);
    if (loaded) applySettings(loaded);
    await loadConversations();
    if (stopped) return;
    holding.load().catch(() => {});
    ticker = setInterval(tick, TICK_MS);
    connection.open();
  }

  function stop() {
    stopped = true;
    clearInterval(ticker);
    offerArea.stop();
    connection.close();
    supervisor.stop();
    heldView.stop();
    liveCalls.stop();
    production.stop();
    reports.stop();
    admin.stop();
    agenda.stop();
    for (const view of conversations.values()) clearTimeout(view.typingTimer);
    for (const [target, type, listener] of listeners) target.removeEventListener(type, listener);
    for (const stopDrawing of unmount) stopDrawing();
  }

  function endSession(message) {
    if (stopped) return;
    stop();
    clearSession();
    desk = null;
    resetView();
    loginView.show(message);
  }

  async function logout() {
    // Best effort: an agent who signed out should not be offered new conversations.
    await api.setStatus('offline').catch(() => {});
    endSession();
  }

  function resetView() {
    ui.chatPane.hidden = true;
    ui.placeholder.hidden = false;
  }

  // ------------------------------------------------ settings

  function applySettings(loaded) {
    settings = { ...DEFAULT_SETTINGS, ...loaded };
    store.set({ settings });
  }

  // ------------------------------------------------ agent and status

  function showMe(agent) {
    me = { ...me, ...agent };
    store.set({ me });
    if (agent.roles) {
      supervisor.setRoles(agent.roles);
      heldView.setRoles(agent.roles);
      liveCalls.setRoles(agent.roles);
      production.setRoles(agent.roles);
      reports.setRoles(agent.roles);
    }
  }

  // ------------------------------------------------ connection

  function handleConnected() {
    const reconnect = connectedOnce;
    connectedOnce = true;
    // Offers and assignments pushed while no socket was open went nowhere (including the moment between the
    // first REST load and this first connection): read them again.
    if (reconnect) api.me().then(showMe).catch(() => {});
    loadConversations().catch(() => {});
    if (reconnect) holding.load().catch(() => {}); // snoozes that woke, reservations made or ended meanwhile
    if (reconnect) production.reconnected(); // the new connection watches nothing yet
    for (const view of conversations.values()) {
      if (view.conversation.status === 'closed') continue;
      syncConversation(view);
      messageLog.flushOutbox(view);
    }
  }

  function syncConversation(view) {
    connection.sync(view.conversation.id, () => view.maxSeq, showMessage);
  }

  // ------------------------------------------------ periodic: countdowns, chat duration, stale typing

  function tick() {
    offerArea.tick(); // an offer past its time: the server withdraws it (and pushes offer.withdrawn, a notice)
    for (const view of conversations.values()) {
      if (view.visitorTyping && Date.now() - view.visitorTyping > TYPING_STALE_MS) {
        view.visitorTyping = 0;
        renderConversation(view);
      }
    }
  }

  // ------------------------------------------------ conversations and offers from REST

  async function loadConversations() {
    const knownActive = chats.activeIds();
    const knownOffers = new Set([...offers.values()].map((entry) => entry.offer.id));
    const { conversations: open = [] } = await api.openConversations();
    if (stopped) return;
    const assigned = open.filter((conversation) => conversation.status === 'assigned');
    const offered = open.filter((conversation) => conversation.status === 'offered' && conversation.offer &&
      (!conversation.offer.agent_id || conversation.offer.agent_id === me?.id));
    chats.settleAll(assigned, knownActive);
    offerArea.resync(offered, knownOffers, {
      rejectAllowed: settings.reject_allowed,
      loadMessages: async (id) => (await api.messages(id, 0)).messages ?? [],
    });
    await chats.showAssigned(assigned);
  }

  // ------------------------------------------------ offers

  // Accepted: the chat is shown at once, even from the Waiting or Held view.
  function offerAccepted(entry, ack) {
    supervisor.close();
    heldView.close();
    liveCalls.close();
    production.close();
    reports.close();
    admin.close();
    agenda.close();
    const isNew = !conversations.has(ack.conversation.id);
    const view = upsertConversation({ ...entry.conversation, ...ack.conversation });
    select(view.conversation.id);
    composer.focus();
    // The conversation.assigned push brings the newest messages too; this covers a push that went astray.
    if (isNew) loadHistory(view).catch(() => {});
  }

  return { start, stop, showError };
}

// ---------------------------------------------------------------- bootstrap

const loginView = createLogin(ui, {
  api: config.api,
  onSubmit: () => alerts.prepare(), // a user gesture: unlock the offer sound, ask once for notifications
  onSession: (session) => startDesk(session),
});

const saved = loadSession();
if (saved) {
  // A restored session had no sign-in click: unlock alerts on the first click or key press instead.
  for (const type of ['pointerdown', 'keydown']) document.addEventListener(type, () => alerts.prepare(), { once: true });
  startDesk(saved);
} else {
  loginView.show();
}
