// Guichet widget, stage "end screen": the transcript (text or web page), the rating (1 to 5, with a comment), then,
// when the closed conversation asks it (`nps_asked`: the tenant turned NPS on), the NPS question (0 to 10). That
// question is nps.js, imported only when a conversation asks it: most visitors never load it.

import { ApiError, h } from './connection.js';
import { storage } from './loader.js';

const given = (value) => value !== null && value !== undefined;

// Whether a closed conversation's end screen still asks something: its rating, or its NPS question. Until then the
// conversation is kept (guichet:<tenant>:conversation), so that a reload shows the end screen again.
export const surveyPending = (conversation) => conversation?.status === 'closed'
  && (!given(conversation.rating) || (conversation.nps_asked === true && !given(conversation.nps)));

export function install(w) {
  const { state, ui, api } = w;
  const { conversationKey } = w.keys;
  let npsLoading = null;
  Object.assign(w, { downloadTranscript, chooseRating, submitRating, ratingStored, renderEnd, surveyDone });
  ui.transcriptText.addEventListener('click', () => downloadTranscript('text'));
  ui.transcriptHtml.addEventListener('click', () => downloadTranscript('html'));
  ui.rateButtons.forEach((button) => button.addEventListener('click', () => chooseRating(Number(button.dataset.rating))));
  ui.ratingForm.addEventListener('submit', submitRating);

  async function downloadTranscript(format) {
    const id = state.conversation?.id;
    if (!id) return;
    w.hideError();
    try {
      const blob = await api.transcript(id, format);
      const url = URL.createObjectURL(blob);
      const name = `conversation-${id.replace(/[^\w.-]/g, '')}.${format === 'html' ? 'html' : 'txt'}`;
      const link = h('a', { href: url, download: name, hidden: '' });
      ui.root.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch {
      w.showError(w.t('downloadFailed'));
    }
  }

  function chooseRating(rating) {
    state.rating = rating;
    w.hideError();
    w.render();
  }

  async function submitRating(event) {
    event.preventDefault();
    const id = state.conversation?.id;
    if (!id) return;
    if (!state.rating) {
      w.showError(w.t('rateChoose'));
      ui.rateButtons[0].focus();
      return;
    }
    ui.rateSubmit.disabled = true;
    try {
      await api.rate(id, { rating: state.rating, comment: ui.comment.value.trim() || undefined });
      ratingStored();
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) ratingStored(); // stored already (another tab)
      else w.showError(w.t('rateFailed'));
    } finally {
      ui.rateSubmit.disabled = false;
    }
  }

  function ratingStored() {
    state.rated = true;
    w.hideError();
    w.announce(w.t('rateDone'));
    if (npsPending()) {
      w.render();
      loadNps().then(() => w.focusNps(), failed); // the question comes next
      return;
    }
    surveyDone();
  }

  // Nothing left to ask: the thanks, and a reload no longer shows this end screen.
  function surveyDone() {
    storage.remove(conversationKey);
    w.render();
    ui.ratingDone.focus();
  }

  function npsPending() {
    const conversation = state.conversation;
    return conversation?.nps_asked === true && !given(conversation.nps) && !state.npsAnswered && !state.npsBroken;
  }

  // The end screen's parts (called by app.js render): the rating form until rated, then the NPS question if it is
  // asked and not answered, then the thanks.
  function renderEnd() {
    const rated = state.rated || given(state.conversation?.rating);
    const asking = rated && state.conversation?.status === 'closed' && npsPending();
    ui.ratingForm.hidden = rated;
    ui.ratingDone.hidden = !rated || asking;
    ui.rateButtons.forEach((button) => {
      button.setAttribute('aria-pressed', String(Number(button.dataset.rating) === state.rating));
    });
    if (w.renderNps) w.renderNps(asking);
    else if (asking) loadNps().then(() => w.render(), failed);
  }

  // nps.js, once; a failure is tried again on the next render.
  function loadNps() {
    npsLoading ??= import('./nps.js').then((nps) => nps.attach(w), (error) => {
      npsLoading = null;
      throw error;
    });
    return npsLoading;
  }

  // nps.js did not load (the network): the thanks show rather than an empty screen; a new conversation tries again.
  function failed(error) {
    console.warn('Guichet widget: the NPS question could not be loaded.', error);
    state.npsBroken = true;
    w.render();
  }
}

export function build() {
  const endText = h('p', { id: 'end-text', class: 'stage-text' });
  const transcriptLabel = h('p', { class: 'end-label' });
  const transcriptText = h('button', { type: 'button', class: 'secondary', 'data-testid': 'guichet-transcript-text' });
  const transcriptHtml = h('button', { type: 'button', class: 'secondary', 'data-testid': 'guichet-transcript-html' });
  const rateButtons = [1, 2, 3, 4, 5].map((n) => h('button', {
    type: 'button',
    class: 'rate',
    'data-testid': `guichet-rate-${n}`,
    'data-rating': String(n),
    'aria-pressed': 'false',
  }, String(n)));
  const rateLegend = h('legend');
  const commentLabel = h('label', { for: 'comment' });
  const comment = h('textarea', {
    id: 'comment', class: 'comment', 'data-testid': 'guichet-rating-comment', maxlength: '1000', rows: '2',
  });
  const rateSubmit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'guichet-rating-submit' });
  const ratingForm = h('form', { class: 'rating', 'data-testid': 'guichet-rating' },
    h('fieldset', {}, rateLegend, h('div', { class: 'stars' }, ...rateButtons)),
    commentLabel, comment, rateSubmit);
  const ratingDone = h('p', { class: 'done', 'data-testid': 'guichet-rating-done', tabindex: '-1', hidden: '' });
  const endHint = h('p', { class: 'hint' });
  const end = h('section', { class: 'stage end', 'data-testid': 'guichet-end', 'aria-labelledby': 'end-text', hidden: '' },
    endText, transcriptLabel, h('div', { class: 'actions' }, transcriptText, transcriptHtml),
    ratingForm, ratingDone, endHint);
  return {
    endText, transcriptLabel, transcriptText, transcriptHtml, rateButtons, rateLegend, commentLabel, comment,
    rateSubmit, ratingForm, ratingDone, endHint, end,
  };
}
