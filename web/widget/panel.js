// Guichet widget: the panel (header, message log, status lines, composer), with the elements of each stage built by
// its module, and every text set in the page's language (applyTexts). The texts themselves are in texts.js.

import { MAX_LENGTH, h } from './connection.js';
import { build as buildCallbackEntry } from './callback-entry.js';
import { build as buildConsent } from './consent.js';
import { build as buildDissuasion } from './dissuasion.js';
import { build as buildEnd } from './end.js';
import { build as buildHistory } from './history.js';
import { build as buildSettings } from './settings.js';
import { build as buildWaiting } from './waiting.js';

// A CSS string for a custom property read by `content:` (our own texts only).
function cssString(text) {
  return `"${text.replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\a ')}"`;
}

// The elements only (added to w.ui, next to the loader's launcher); every text is set by applyTexts().
export function buildPanel(w) {
  const { ui } = w;
  const logo = h('img', { class: 'logo', 'data-testid': 'guichet-logo', alt: '', hidden: '' });
  const title = h('h2', { id: 'title', class: 'title', 'data-testid': 'guichet-title' });
  const settingsButton = h('button', {
    type: 'button', class: 'header-button', 'data-testid': 'guichet-settings-button', 'aria-expanded': 'false',
    'aria-controls': 'settings',
  }, '⚙');
  // In asynchronous mode the messenger is only minimised (ASYNC-7): the close control gives way to this one.
  const minimise = h('button', { type: 'button', class: 'header-button', 'data-testid': 'guichet-minimise', hidden: '' }, '−');
  const close = h('button', { type: 'button', class: 'close', 'data-testid': 'guichet-close' }, '×');
  const connection = h('p', { class: 'connection', 'data-testid': 'guichet-connection', hidden: '' });
  // Announces stage changes and new agent messages to screen readers (the log itself stays quiet).
  const announcer = h('div', {
    class: 'visually-hidden', role: 'status', 'aria-live': 'polite', 'data-testid': 'guichet-announcer',
  });

  const intro = h('p', { class: 'intro', 'data-testid': 'guichet-welcome' });
  const status = h('p', { class: 'status', 'data-testid': 'guichet-status', hidden: '' });
  const messages = h('div', {
    class: 'messages',
    'data-testid': 'guichet-messages',
    role: 'log',
    'aria-live': 'off',
    tabindex: '0',
  });
  const typing = h('p', { class: 'typing', 'data-testid': 'guichet-typing', hidden: '' });
  Object.assign(ui, buildConsent(), buildHistory(), buildSettings(), buildWaiting(), buildEnd(), buildDissuasion(),
    buildCallbackEntry());
  const { history, waiting, invite, inviteDone, end, dissuasion, settings, consent, callbackEntry } = ui;
  const body = h('div', { class: 'body' }, history, intro, waiting, status, messages, invite, inviteDone, typing, end,
    dissuasion);
  // The tenant's "unavailable" text, in place of the composer while no chat can be started. A status region that
  // stays in the page (empty when not needed), so that screen readers announce the text when it appears; focused
  // when the panel opens on it.
  const notice = h('p', {
    class: 'notice', role: 'status', 'aria-live': 'polite', 'data-testid': 'guichet-unavailable', tabindex: '-1',
  });
  const error = h('p', { class: 'error', 'data-testid': 'guichet-error', 'aria-live': 'polite', hidden: '' });

  const inputLabel = h('label', { class: 'visually-hidden', for: 'input' });
  const input = h('textarea', {
    id: 'input',
    class: 'input',
    'data-testid': 'guichet-input',
    maxlength: String(MAX_LENGTH),
    rows: '2',
    'aria-describedby': 'counter',
  });
  const counter = h('span', { id: 'counter', class: 'counter', 'data-testid': 'guichet-counter' });
  const send = h('button', { type: 'submit', class: 'send', 'data-testid': 'guichet-send' });
  const form = h('form', { class: 'composer' }, inputLabel, input, h('div', { class: 'composer-side' }, send, counter));

  const panel = h('section', { id: 'panel', class: 'panel', role: 'dialog', 'aria-labelledby': 'title', hidden: '' },
    h('header', { class: 'header' }, logo, title, settingsButton, minimise, close),
    connection, announcer, settings, body, callbackEntry, notice, error, consent, form); // callbox.js adds the callbox

  ui.root.insertBefore(panel, ui.launcher);
  return Object.assign(ui, {
    panel, logo, title, settingsButton, minimise, close, connection, announcer, body, intro, status, messages, typing,
    notice, error, inputLabel, input, counter, send, form,
  });
}

export function install(w) {
  const { state, ui } = w;
  Object.assign(w, { applyTexts });
  ui.logo.addEventListener('error', () => { ui.logo.hidden = true; });

  // Every text in the page's language; the tenant's look (GET /widget, loaded by the loader).
  function applyTexts() {
    const logo = state.settings?.logo_url;
    if (typeof logo === 'string' && logo.startsWith('https://') && !ui.logo.getAttribute('src')) {
      ui.logo.src = logo;
      ui.logo.hidden = false;
    }
    ui.panel.lang = state.lang;
    ui.launcher.lang = state.lang;
    ui.launcherLabel.textContent = w.launcherText();
    ui.title.textContent = w.brand('title');
    ui.close.setAttribute('aria-label', w.t('close'));
    ui.minimise.setAttribute('aria-label', w.t('minimise'));
    ui.settingsButton.setAttribute('aria-label', w.t('settings'));
    ui.messages.setAttribute('aria-label', w.t('messages'));
    ui.consentAgree.textContent = w.t('consentAgree');
    ui.inviteText.textContent = w.t('inviteText');
    ui.inviteLabel.textContent = w.t('emailLabel');
    ui.inviteSave.textContent = w.t('inviteSave');
    ui.inviteSkip.textContent = w.t('inviteSkip');
    ui.settingsTitle.textContent = w.t('settings');
    ui.notifyLegend.textContent = w.t('notifyLegend');
    ui.notifyHint.textContent = w.t('notifyUnavailable');
    ui.settingsEmailLabel.textContent = w.t('emailLabel');
    ui.settingsSave.textContent = w.t('saveEmail');
    ui.settingsDelete.textContent = w.t('deleteEmail');
    ui.notifyOnLabel.textContent = w.t('notifyOn');
    ui.hideHistoryLabel.textContent = w.t('hideHistory');
    ui.settingsBack.textContent = w.t('back');
    w.setUnread(state.unread);
    ui.waitingText.textContent = w.brand('waiting');
    ui.positionLabel.textContent = w.t('position');
    ui.estimateLabel.textContent = w.t('estimate');
    ui.endText.textContent = w.brand('ended');
    ui.transcriptLabel.textContent = w.t('transcript');
    ui.transcriptText.textContent = w.t('transcriptText');
    ui.transcriptHtml.textContent = w.t('transcriptHtml');
    ui.rateLegend.textContent = w.t('rateLegend');
    ui.rateButtons.forEach((button) => button.setAttribute('aria-label', w.t('rateValue', button.dataset.rating)));
    ui.commentLabel.textContent = w.t('comment');
    ui.rateSubmit.textContent = w.t('rateSubmit');
    ui.ratingDone.textContent = w.t('rateDone');
    ui.endHint.textContent = w.t('newChatHint');
    ui.dissuasionHint.textContent = w.t('newChatHint');
    ui.restart.textContent = w.t('restart');
    ui.inputLabel.textContent = w.t('yourMessage');
    ui.input.placeholder = w.t('placeholder');
    ui.input.maxLength = w.maxChars();
    ui.send.textContent = w.t('send');
    ui.panel.style.setProperty('--guichet-sending-label', cssString(w.t('sending')));
    ui.panel.style.setProperty('--guichet-sent-label', cssString(w.t('sent')));
    ui.panel.style.setProperty('--guichet-failed-label', cssString(w.t('notSent')));
    w.applyCallboxTexts();
    w.showConnection(state.connected);
    w.updateCounter();
    w.render();
    w.renderHistory();
  }
}
