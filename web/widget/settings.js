// Guichet widget, asynchronous settings: after the first message of an asynchronous conversation, the invitation to
// leave an email for the answers (ASYNC-2); the settings behind the gear (ASYNC-3, ASYNC-5): the email, whether to send
// it, "hide my history". Shown in place of the conversation.

import { ServerError, h } from './connection.js';
import { isPlainObject, storage, isOpenStatus } from './loader.js';

const EMAIL_PATTERN = /^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{1,63}$/; // as the server checks it
const EMAIL_MAX = 320;

export function isEmail(text) {
  return text.length <= EMAIL_MAX && EMAIL_PATTERN.test(text);
}

export function install(w) {
  const { state, ui, api, connection } = w;
  const { inviteKey } = w.keys;
  Object.assign(w, {
    invitePending, saveNotification, notSaved, showInviteError, leaveEmail, skipInvite, showSettings, showChat,
    notificationsOffered, fillSettings, renderSettings, settingsSaid, saveSettingsEmail, deleteSettingsEmail,
    switchNotifications, chooseHistoryHidden,
  });
  ui.settingsButton.addEventListener('click', () => (state.view === 'settings' ? showChat() : showSettings()));
  ui.settingsBack.addEventListener('click', showChat);
  ui.invite.addEventListener('submit', (event) => {
    event.preventDefault();
    leaveEmail();
  });
  ui.inviteSkip.addEventListener('click', skipInvite);
  ui.notifyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    saveSettingsEmail();
  });
  ui.settingsDelete.addEventListener('click', deleteSettingsEmail);
  ui.notifyOn.addEventListener('change', () => switchNotifications(ui.notifyOn.checked));
  ui.hideHistory.addEventListener('change', () => chooseHistoryHidden(ui.hideHistory.checked));

  // After the first message of an asynchronous conversation, until the visitor leaves an email or says no.
  function invitePending() {
    const conversation = state.conversation;
    return Boolean(conversation && isOpenStatus(conversation.status) && conversation.asynchronous === true
      && !conversation.notification?.email && state.inviteDoneFor !== conversation.id
      && storage.get(inviteKey) !== conversation.id);
  }

  // set_notification on the open conversation; a field left out stays as it is. Resolves to the new settings.
  async function saveNotification(fields) {
    const conversation = state.conversation;
    if (!conversation || !w.hasOpenConversation()) throw new ServerError({ code: 'conflict' });
    const ack = await connection.request('set_notification', { conversation_id: conversation.id, ...fields });
    const notification = isPlainObject(ack.notification) ? ack.notification : { ...conversation.notification, ...fields };
    if (state.conversation?.id === conversation.id) state.conversation = { ...state.conversation, notification };
    w.render();
    return notification;
  }

  function notSaved(error) {
    if (error instanceof ServerError && error.field === 'email') return w.t('invalidEmail');
    if (error instanceof ServerError && error.code === 'conflict') return w.t('settingsEnded');
    return w.t('settingsFailed');
  }

  function showInviteError(text) {
    ui.inviteError.textContent = text;
    ui.inviteError.hidden = !text;
    if (text) ui.inviteEmail.setAttribute('aria-invalid', 'true');
    else ui.inviteEmail.removeAttribute('aria-invalid');
  }

  async function leaveEmail() {
    const email = ui.inviteEmail.value.trim();
    if (!isEmail(email)) {
      showInviteError(w.t('invalidEmail'));
      ui.inviteEmail.focus();
      return;
    }
    const conversationId = state.conversation?.id;
    ui.inviteSave.disabled = true;
    try {
      const saved = await saveNotification({ email, enabled: true });
      showInviteError('');
      ui.inviteEmail.value = '';
      storage.set(inviteKey, conversationId);
      state.inviteDoneFor = conversationId;
      w.render();
      w.announce(w.t('inviteDone', saved.email || email));
      if (!ui.input.disabled) ui.input.focus(); // the form is gone
    } catch (error) {
      showInviteError(notSaved(error));
    } finally {
      ui.inviteSave.disabled = false;
    }
  }

  function skipInvite() {
    if (state.conversation) storage.set(inviteKey, state.conversation.id);
    showInviteError('');
    w.render();
    if (!ui.input.disabled) ui.input.focus();
  }

  function showSettings() {
    state.view = 'settings';
    ui.settingsStatus.textContent = '';
    fillSettings();
    w.render();
    ui.settingsTitle.focus();
    if (state.token) w.refreshHistory().then(() => { ui.hideHistory.checked = state.history?.hidden === true; });
  }

  function showChat() {
    state.view = 'chat';
    w.render();
    ui.settingsButton.focus();
  }

  // Emails can be chosen while an asynchronous conversation is open.
  function notificationsOffered() {
    return w.hasOpenConversation() && state.conversation.asynchronous === true;
  }

  function fillSettings() {
    const offered = notificationsOffered();
    const notification = state.conversation?.notification;
    ui.settingsEmail.value = offered ? notification?.email ?? '' : '';
    ui.settingsEmail.removeAttribute('aria-invalid');
    ui.notifyOn.checked = offered && notification?.enabled !== false;
    ui.hideHistory.checked = state.history?.hidden === true;
  }

  function renderSettings() {
    const offered = notificationsOffered();
    ui.notifyFieldset.disabled = !offered;
    ui.notifyHint.hidden = offered;
    ui.settingsDelete.disabled = !offered || !state.conversation.notification?.email;
  }

  function settingsSaid(text) {
    ui.settingsStatus.textContent = text;
  }

  async function saveSettingsEmail() {
    const email = ui.settingsEmail.value.trim();
    if (email && !isEmail(email)) {
      ui.settingsEmail.setAttribute('aria-invalid', 'true');
      settingsSaid(w.t('invalidEmail'));
      ui.settingsEmail.focus();
      return;
    }
    ui.settingsEmail.removeAttribute('aria-invalid');
    try {
      const saved = await saveNotification({ email: email || null }); // an empty box deletes the address
      settingsSaid(saved.email ? w.t('emailSaved', saved.email) : w.t('emailDeleted'));
      if (saved.email && state.conversation) storage.set(inviteKey, state.conversation.id);
    } catch (error) {
      settingsSaid(notSaved(error));
    }
  }

  async function deleteSettingsEmail() {
    try {
      await saveNotification({ email: null });
      ui.settingsEmail.value = '';
      settingsSaid(w.t('emailDeleted'));
      ui.settingsEmail.focus(); // the button is disabled now
    } catch (error) {
      settingsSaid(notSaved(error));
    }
  }

  async function switchNotifications(enabled) {
    try {
      const saved = await saveNotification({ enabled }); // the address stays as it is
      ui.notifyOn.checked = saved.enabled !== false;
      settingsSaid(saved.enabled === false ? w.t('notifyDisabled') : w.t('notifyEnabled'));
    } catch (error) {
      ui.notifyOn.checked = !enabled;
      settingsSaid(notSaved(error));
    }
  }

  async function chooseHistoryHidden(hidden) {
    try {
      await w.ensureToken();
      await api.preferences({ hide_history: hidden });
      state.history = { ...(state.history ?? { conversations: [] }), hidden };
      w.renderHistory();
      settingsSaid(hidden ? w.t('historyHidden') : w.t('historyShown'));
      await w.refreshHistory();
    } catch {
      ui.hideHistory.checked = !hidden;
      settingsSaid(w.t('settingsFailed'));
    }
  }
}

export function build() {
  // After the first message of an asynchronous conversation: leave an email to hear of answers (ASYNC-2).
  const inviteText = h('p', { id: 'invite-text' });
  const inviteLabel = h('label', { class: 'visually-hidden', for: 'invite-email' });
  const inviteEmail = h('input', {
    id: 'invite-email', class: 'field', type: 'email', autocomplete: 'email', maxlength: String(EMAIL_MAX),
    'data-testid': 'guichet-invite-email', 'aria-describedby': 'invite-text invite-error',
  });
  const inviteError = h('p', {
    id: 'invite-error', class: 'field-error', 'data-testid': 'guichet-invite-error', 'aria-live': 'polite', hidden: '',
  });
  const inviteSave = h('button', { type: 'submit', class: 'primary', 'data-testid': 'guichet-invite-save' });
  const inviteSkip = h('button', { type: 'button', class: 'secondary', 'data-testid': 'guichet-invite-skip' });
  const invite = h('form', {
    class: 'stage invite', 'data-testid': 'guichet-invite', 'aria-labelledby': 'invite-text', novalidate: '', hidden: '',
  }, inviteText, inviteLabel, inviteEmail, inviteError, h('div', { class: 'actions' }, inviteSave, inviteSkip));
  const inviteDone = h('p', { class: 'hint', 'data-testid': 'guichet-invite-done', hidden: '' });

  // Settings (a gear in the header): the email for answers and whether to send them (ASYNC-3), "hide my history"
  // (ASYNC-5). Shown in place of the conversation.
  const settingsTitle = h('h3', { id: 'settings-title', class: 'settings-title', tabindex: '-1' });
  const notifyLegend = h('legend');
  const notifyHint = h('p', { class: 'hint', 'data-testid': 'guichet-settings-notify-hint' });
  const settingsEmailLabel = h('label', { for: 'settings-email' });
  const settingsEmail = h('input', {
    id: 'settings-email', class: 'field', type: 'email', autocomplete: 'email', maxlength: String(EMAIL_MAX),
    'data-testid': 'guichet-settings-email',
  });
  const settingsSave = h('button', { type: 'submit', class: 'primary', 'data-testid': 'guichet-settings-email-save' });
  const settingsDelete = h('button', { type: 'button', class: 'secondary', 'data-testid': 'guichet-settings-email-delete' });
  const notifyOn = h('input', { id: 'settings-notify', type: 'checkbox', 'data-testid': 'guichet-settings-notify' });
  const notifyOnLabel = h('label', { for: 'settings-notify' });
  const notifyFieldset = h('fieldset', {}, notifyLegend, notifyHint, settingsEmailLabel, settingsEmail,
    h('div', { class: 'actions' }, settingsSave, settingsDelete), h('div', { class: 'check' }, notifyOn, notifyOnLabel));
  const notifyForm = h('form', { class: 'notify-form', novalidate: '' }, notifyFieldset);
  const hideHistory = h('input', { id: 'settings-hide-history', type: 'checkbox', 'data-testid': 'guichet-settings-hide-history' });
  const hideHistoryLabel = h('label', { for: 'settings-hide-history' });
  const settingsStatus = h('p', {
    class: 'settings-status', role: 'status', 'aria-live': 'polite', 'data-testid': 'guichet-settings-status',
  });
  const settingsBack = h('button', { type: 'button', class: 'secondary', 'data-testid': 'guichet-settings-back' });
  const settings = h('section', {
    id: 'settings', class: 'settings', 'data-testid': 'guichet-settings', 'aria-labelledby': 'settings-title', hidden: '',
  }, settingsTitle, notifyForm, h('div', { class: 'check' }, hideHistory, hideHistoryLabel), settingsStatus,
  h('div', { class: 'actions' }, settingsBack));
  return {
    inviteText, inviteLabel, inviteEmail, inviteError, inviteSave, inviteSkip, invite, inviteDone, settingsTitle,
    notifyLegend, notifyHint, settingsEmailLabel, settingsEmail, settingsSave, settingsDelete, notifyOn,
    notifyOnLabel, notifyFieldset, notifyForm, hideHistory, hideHistoryLabel, settingsStatus, settingsBack, settings,
  };
}
