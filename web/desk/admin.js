// The Administration area (issue 16, docs/admin.md), for admins (who change things) and supervisors (who read them),
// toggled from the top bar in place of the conversations like the supervisor views (one view at a time:
// store.state.supervisorView). It lists the console's pages; each page is its own module, fetched the first time it
// is shown, so agents download none of them and the desk's first load does not grow:
//   export default { id: 'users', label: 'Users', Page }
// where Page is a Preact component given { api, canEdit, announce, me }: api.request(method, path, body) calls a
// tenant route (docs/openapi.yaml), canEdit is true for admins only (the server checks the role on every write
// anyway: hiding a button is not a check), announce(text) speaks to screen readers, me is the signed-in user.

import { html } from '/vendor/htm-preact-standalone.module.js';
import { mount } from '/desk/store.js';
import { addStylesheet } from '/desk/reports.js';
import { canSupervise } from '/desk/supervisor-shared.js';

const NAME = 'admin';
// The console's pages, in the order of the list; each `/desk/admin-<id>.js`.
export const ADMIN_PAGES = [
  ['users', 'Users'], ['agents', 'Agents'], ['routing', 'Routing'], ['hours', 'Opening hours'],
  ['look', 'Texts and look'], ['answers', 'Answers and surveys'], ['calls', 'Call settings'], ['audit', 'Audit log'],
];
const loaded = new Map(); // page id -> its module's default export, once fetched

export const isAdmin = (me) => Array.isArray(me?.roles) && me.roles.includes('admin');

// store: the desk's store; api: the desk's REST client (its `request`); toggleSlot, viewSlot: where the top bar's
// button and the area are drawn; hide: what the area replaces while shown; announce(text): the screen-reader
// announcer.
export function createAdmin({ store, api, toggleSlot, viewSlot, hide, announce }) {
  const isOpen = () => store.state.supervisorView === NAME;
  const update = (patch) => store.set({ admin: { ...store.state.admin, ...patch } });
  const actions = { toggle: () => (isOpen() ? close() : show()), open: (id) => openPage(id), api, announce };
  let undo = [];

  function start() {
    update({ page: ADMIN_PAGES[0][0], failure: null });
    undo = [
      store.subscribe((state) => { if (isOpen() && !canSupervise(state.me?.roles)) close(); }),
      mount(toggleSlot, AdminToggle, store, { actions }),
      mount(viewSlot, AdminView, store, { actions }),
    ];
  }

  function stop() {
    close();
    for (const step of undo) step();
    undo = [];
  }

  function show() {
    if (!canSupervise(store.state.me?.roles) || isOpen()) return;
    addStylesheet('/desk/admin.css');
    store.set({ supervisorView: NAME });
    for (const element of hide) element.hidden = true;
    openPage(store.state.admin.page);
  }

  function close() {
    if (!isOpen()) return;
    store.set({ supervisorView: null });
    for (const element of hide) element.hidden = false;
  }

  function openPage(id) {
    update({ page: id, failure: null });
    if (loaded.has(id)) return;
    import(`/desk/admin-${id}.js`).then(
      (module) => { loaded.set(id, module.default); store.changed(); },
      (failure) => { if (store.state.admin.page === id) update({ failure: `Could not load this page: ${failure.message}` }); },
    );
  }

  return { start, stop, show, close, isOpen, openPage };
}

function AdminToggle({ state, actions }) {
  return html`
    <button id="admin-toggle" type="button" class="secondary waiting-toggle" data-testid="admin-tab"
            aria-pressed=${String(state.supervisorView === NAME)}
            aria-controls=${state.supervisorView === NAME ? 'admin-view' : undefined}
            hidden=${!canSupervise(state.me?.roles)} onClick=${actions.toggle}>Administration</button>`;
}

function AdminView({ state, actions }) {
  if (state.supervisorView !== NAME) return null;
  const { page: current, failure } = state.admin;
  const canEdit = isAdmin(state.me);
  const module = loaded.get(current);
  const label = ADMIN_PAGES.find(([id]) => id === current)?.[1] ?? '';
  return html`
    <section id="admin-view" class="admin-view" aria-labelledby="admin-title">
      <h2 id="admin-title">Administration</h2>
      ${canEdit ? null : html`<p class="admin-read-only" data-testid="admin-read-only">
        You can read these settings; only an admin can change them.</p>`}
      <div class="admin-layout">
        <nav aria-label="Administration pages">
          <ul class="admin-pages">
            ${ADMIN_PAGES.map(([id, name]) => html`
              <li key=${id}><button type="button" class="admin-page-link" data-testid=${`admin-page-${id}`}
                  aria-current=${id === current ? 'page' : undefined} onClick=${() => actions.open(id)}>${name}
              </button></li>`)}
          </ul>
        </nav>
        <div class="admin-page" aria-labelledby="admin-page-title">
          <h3 id="admin-page-title">${label}</h3>
          ${failure ? html`<p class="banner waiting-error" role="alert">${failure}</p>` : null}
          ${module ? html`<${module.Page} key=${current} api=${actions.api} canEdit=${canEdit}
                            announce=${actions.announce} me=${state.me} />`
            : failure ? null : html`<p role="status">Loading…</p>`}
        </div>
      </div>
    </section>`;
}
