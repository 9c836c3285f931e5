// The console's Texts and look page (issue 16, docs/admin.md "Texts and look"): the widget builder. The accent
// colour (with the contrast of the widget's white text on it), the logo, and per language the texts a visitor reads;
// a live preview of the real widget beside the form (an iframe of /widget/preview.html, given the draft by
// postMessage: it redraws as the admin types, nothing is saved); Save sends only what changed (PUT /settings). Below,
// the tag that embeds the widget and the identity-signing code for the brand's server (admin-look-snippets.js).

import { html, useEffect, useRef, useState } from '/vendor/htm-preact-standalone.module.js';
import { readConfig } from '/desk/config.js';
import { addStylesheet } from '/desk/reports.js';
import { loadSession } from '/desk/session.js';
import { LANGUAGES, SaveBar, SettingsForm, TextField, useSettings } from '/desk/admin-look-form.js';
import { NODE_SIGNING, PYTHON_SIGNING, embedSnippet } from '/desk/admin-look-snippets.js';

const KEYS = ['accent_colour', 'logo_url', 'texts'];
// The texts this page edits, and what the preview shows for each (the stage of the widget that says it).
const TEXTS = [
  ['title', 'Title (launcher and header)', 'welcome'], ['welcome', 'Welcome message', 'welcome'],
  ['welcome_async', 'Welcome message while answers may wait (no agent free)', 'async'],
  ['consent', 'Consent question', 'consent'], ['dissuasion', 'All agents busy (dissuasion)', 'busy'],
  ['unavailable', 'No agent available', 'unavailable'], ['closed', 'Out of hours (closed)', 'closed'],
];
const STAGES = [['welcome', 'Welcome'], ['async', 'Welcome, answers may wait'], ['consent', 'Consent'], ['busy', 'All agents busy'],
  ['unavailable', 'No agent available'], ['closed', 'Out of hours']];
const COLOUR = /^#[0-9a-fA-F]{6}$/;
const AA = 4.5; // WCAG 2 AA, normal text
const WIDGET_TEXT = '#ffffff'; // the widget's text on its accent colour (--guichet-accent-text)

// WCAG 2's relative luminance of a #rrggbb colour, and the contrast ratio of two.
function luminance(hex) {
  const [r, g, b] = [1, 3, 5].map((at) => {
    const c = parseInt(hex.slice(at, at + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a, b) {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light + 0.05) / (dark + 0.05);
}

function Page({ api, canEdit, announce }) {
  addStylesheet('/desk/admin-look.css');
  const form = useSettings({ api, announce, keys: KEYS });
  const [lang, setLang] = useState('en');
  const [stage, setStage] = useState('welcome');
  useEffect(() => { // an error in the other language's texts: show that language, so that its input can be focused
    const wrong = /^texts\.(en|fr)/.exec(form.error?.field ?? '');
    if (wrong && wrong[1] !== lang) setLang(wrong[1]);
  }, [form.error?.at]);
  return html`
    <div class="admin-look">
      <${SettingsForm} form=${form} label="Texts and look">
        ${form.draft ? html`<${LookFields} form=${form} canEdit=${canEdit} lang=${lang} setLang=${setLang}
                                            setStage=${setStage} />` : null}
        <${SaveBar} form=${form} canEdit=${canEdit} testId="look-save" />
      <//>
      ${form.draft ? html`<${Preview} draft=${form.draft} lang=${lang} stage=${stage} setStage=${setStage} />` : null}
    </div>
    ${form.draft ? html`<${Snippets} announce=${announce} />` : null}`;
}

function LookFields({ form, canEdit, lang, setLang, setStage }) {
  const { draft, edit } = form;
  const texts = draft.texts?.[lang] ?? {};
  const setText = (key) => (value) => edit((current) => ({
    texts: { ...current.texts, [lang]: { ...current.texts[lang], [key]: value } },
  }));
  return html`
    <fieldset class="admin-group">
      <legend>Colours and logo</legend>
      <${Colour} form=${form} canEdit=${canEdit} />
      <${TextField} path="logo_url" label="Logo URL (https://, empty for none)" value=${draft.logo_url} type="url"
                    onValue=${(value) => edit({ logo_url: value.trim() })} form=${form} canEdit=${canEdit}
                    testId="look-logo" />
    </fieldset>
    <fieldset class="admin-group">
      <legend>Texts</legend>
      <div class="admin-switch" role="radiogroup" aria-label="Language of the texts">
        ${LANGUAGES.map(([code, name]) => html`
          <label key=${code}><input type="radio" name="look-lang" value=${code} checked=${lang === code}
                 data-testid=${`look-lang-${code}`} onChange=${() => setLang(code)} /> ${name}</label>`)}
      </div>
      ${TEXTS.filter(([key]) => key in texts).map(([key, label, shows]) => html`
        <${TextField} key=${`${lang}.${key}`} path=${`texts.${lang}.${key}`} label=${label} value=${texts[key]}
                      multiline=${key !== 'title'} maxlength="500" onValue=${setText(key)} form=${form}
                      canEdit=${canEdit} testId=${`look-text-${key}`} onFocus=${() => setStage(shows)} />`)}
    </fieldset>`;
}

// The accent colour: a colour picker and its #rrggbb text, one value; the contrast of the widget's text on it.
function Colour({ form, canEdit }) {
  const { draft, edit } = form;
  const [typed, setTyped] = useState(draft.accent_colour);
  useEffect(() => { if (COLOUR.test(draft.accent_colour) && draft.accent_colour !== typed) setTyped(draft.accent_colour); },
    [draft.accent_colour]);
  const colour = COLOUR.test(typed) ? typed : draft.accent_colour;
  const ratio = contrast(colour, WIDGET_TEXT);
  const low = ratio < AA;
  const onText = (value) => {
    setTyped(value);
    if (COLOUR.test(value.trim())) edit({ accent_colour: value.trim().toLowerCase() });
    else edit({ accent_colour: value.trim() }); // the server names what is wrong
  };
  return html`
    <div class="admin-colour">
      <div class="admin-field">
        <label for="look-colour-picker">Accent colour (picker)</label>
        <input id="look-colour-picker" type="color" value=${colour} disabled=${!canEdit} data-testid="look-colour-picker"
               onInput=${(event) => onText(event.currentTarget.value)} />
      </div>
      <${TextField} path="accent_colour" label="Accent colour (#rrggbb)" value=${typed} onValue=${onText} form=${form}
                    canEdit=${canEdit} testId="look-colour" maxlength="7" spellcheck="false" autocomplete="off"
                    hint="The launcher, the header and the Send button; the widget's text on it is white." />
    </div>
    <p id="look-contrast" class=${low ? 'admin-warning' : 'muted'} role="status" data-testid="look-contrast"
       data-low=${String(low)}>
      ${low ? `Low contrast: white text on ${colour} is ${ratio.toFixed(2)}:1, under the ${AA}:1 that WCAG AA asks `
        + 'for. Visitors may not read the launcher: choose a darker colour.'
        : `White text on ${colour}: ${ratio.toFixed(2)}:1 (WCAG AA asks for ${AA}:1).`}
    </p>`;
}

// The real widget in an iframe (/widget/preview.html), given the draft at every change: nothing is saved.
function Preview({ draft, lang, stage, setStage }) {
  const frame = useRef(null);
  const [ready, setReady] = useState(false);
  useEffect(() => {
    if (!ready) return;
    frame.current?.contentWindow?.postMessage({ type: 'guichet:preview', settings: draft, lang, stage },
      location.origin);
  }, [ready, draft, lang, stage]);
  return html`
    <section class="admin-preview" aria-labelledby="look-preview-title">
      <h4 id="look-preview-title">Preview (not saved)</h4>
      <div class="admin-field">
        <label for="look-stage">The preview shows</label>
        <select id="look-stage" value=${stage} data-testid="look-stage"
                onChange=${(event) => setStage(event.currentTarget.value)}>
          ${STAGES.map(([id, name]) => html`<option key=${id} value=${id}>${name}</option>`)}
        </select>
      </div>
      <iframe ref=${frame} src="/widget/preview.html" title="Preview of the chat widget with these settings"
              class="admin-preview-frame" data-testid="look-preview" onLoad=${() => setReady(true)}></iframe>
    </section>`;
}

// The tag to put on the brand's pages, and the identity signature for its server.
function Snippets({ announce }) {
  const { api, ws } = readConfig(new URL('/desk/desk.js', location.href).href);
  const tenant = loadSession()?.tenant ?? '';
  const tag = embedSnippet({ tenant, widgetBase: location.origin, api, ws });
  return html`
    <section class="admin-snippets" aria-labelledby="look-embed-title">
      <h4 id="look-embed-title">Embed the widget</h4>
      <p>Put this tag on every page of the site where visitors may chat (in <code>head</code> or <code>body</code>).
        The widget reads these settings each time a page loads it.</p>
      <${Snippet} id="look-embed" label="The widget's tag" text=${tag} announce=${announce} />
      <h4>Sign a logged-in customer's identity</h4>
      <p>On the brand's server only, with the tenant's identity secret (an admin reads it with
        <code>GET /tenants/${tenant}/identity-secret</code>; never put it in a page). The page hands the result to the
        widget as <code>window.guichetContext.identity</code>; the agent then sees the visitor as verified.</p>
      <${Snippet} id="look-sign-python" label="Python" text=${PYTHON_SIGNING} announce=${announce} />
      <${Snippet} id="look-sign-node" label="JavaScript (Node)" text=${NODE_SIGNING} announce=${announce} />
    </section>`;
}

function Snippet({ id, label, text, announce }) {
  const code = useRef(null);
  const [said, setSaid] = useState('');
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setSaid('Copied.');
      announce(`${label}: copied.`);
    } catch { // no clipboard (an insecure page): the text is selected for the keyboard's copy
      getSelection().selectAllChildren(code.current);
      setSaid('Selected: press Ctrl+C (⌘C) to copy.');
    }
  }
  return html`
    <figure class="admin-snippet">
      <figcaption id=${`${id}-label`}>${label}</figcaption>
      <pre tabindex="0" aria-labelledby=${`${id}-label`}><code ref=${code} data-testid=${id}>${text}</code></pre>
      <div class="admin-actions">
        <button type="button" class="secondary" data-testid=${`${id}-copy`} onClick=${copy}
                aria-describedby=${`${id}-label`}>Copy</button>
        <span role="status">${said}</span>
      </div>
    </figure>`;
}

export default { id: 'look', label: 'Texts and look', Page };
