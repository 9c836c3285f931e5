// Guichet widget: the end screen's Net Promoter Score question (issue 15), imported by end.js only when a closed
// conversation asks it (`nps_asked`, set when the tenant's `nps_enabled` was on as the chat closed). Eleven choices,
// 0 to 10, as native radio buttons: one Tab stop, the arrow keys move and choose, the legend is the question. The
// answer goes to POST .../nps once; then the end screen's thanks show (end.js).

import { ApiError, h } from './connection.js';

const TEXTS = {
  en: {
    question: (brand) => `How likely are you to recommend ${brand || 'us'} to a friend or colleague?`,
    scale: '0 = not at all likely, 10 = extremely likely',
    choice: (n) => ({ 0: '0, not at all likely', 10: '10, extremely likely' }[n] || String(n)),
    submit: 'Send my answer',
    choose: 'Please choose a score from 0 to 10 first.',
    failed: 'Your answer could not be sent. Please try again.',
  },
  fr: {
    question: (brand) => (brand
      ? `Quelle est la probabilité que vous recommandiez ${brand} à un ami ou un collègue ?`
      : 'Quelle est la probabilité que vous nous recommandiez à un ami ou un collègue ?'),
    scale: '0 = pas du tout probable, 10 = très probable',
    choice: (n) => ({ 0: '0, pas du tout probable', 10: '10, très probable' }[n] || String(n)),
    submit: 'Envoyer ma réponse',
    choose: "Choisissez d'abord une note de 0 à 10.",
    failed: "Votre réponse n'a pas pu être envoyée. Merci de réessayer.",
  },
};

const SCORES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

// Adds the question to the end screen, after the rating's thanks; w.renderNps(shown) and w.focusNps() for end.js.
export function attach(w) {
  const { state, ui, api } = w;
  const choices = SCORES.map((n) => h('input', {
    type: 'radio', name: 'nps', value: String(n), class: 'visually-hidden', 'data-testid': `guichet-nps-${n}`,
  }));
  const legend = h('legend');
  const scale = h('p', { id: 'nps-scale', class: 'hint' });
  const submit = h('button', { type: 'submit', class: 'primary', 'data-testid': 'guichet-nps-submit' });
  const form = h('form', { class: 'nps', 'data-testid': 'guichet-nps', hidden: '' },
    h('fieldset', { 'aria-describedby': 'nps-scale' }, legend,
      h('div', { class: 'nps-scale' }, ...choices.map((input, n) => h('label', { class: 'nps-choice' }, input,
        h('span', { 'aria-hidden': 'true' }, String(n))))),
      scale),
    submit);
  ui.end.insertBefore(form, ui.endHint);
  ui.nps = form;
  form.addEventListener('submit', send);
  Object.assign(w, { renderNps, focusNps });

  function text(key, ...args) {
    const found = TEXTS[state.lang][key];
    return typeof found === 'function' ? found(...args) : found;
  }

  function renderNps(shown) {
    form.hidden = !shown;
    if (!shown) return;
    const brand = typeof state.settings?.brand === 'string' ? state.settings.brand.trim() : '';
    legend.textContent = text('question', brand);
    scale.textContent = text('scale');
    submit.textContent = text('submit');
    choices.forEach((input, n) => input.setAttribute('aria-label', text('choice', n)));
  }

  function focusNps() {
    if (!form.hidden) (choices.find((input) => input.checked) || choices[0]).focus();
  }

  async function send(event) {
    event.preventDefault();
    const id = state.conversation?.id;
    const chosen = choices.find((input) => input.checked);
    if (!id) return;
    if (!chosen) {
      w.showError(text('choose'));
      choices[0].focus();
      return;
    }
    submit.disabled = true;
    try {
      await api.answerNps(id, { score: Number(chosen.value) });
      answered();
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) answered(); // answered already (another tab)
      else w.showError(text('failed'));
    } finally {
      submit.disabled = false;
    }
  }

  function answered() {
    state.npsAnswered = true;
    w.hideError();
    w.surveyDone();
    w.announce(w.t('rateDone'));
  }
}
