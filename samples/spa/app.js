// The demo: a visit counter that two tabs can click at once without losing a count, log in (regenerate), remember me
// (a 30-day cookie), log out, and when the session ends. Everything shown comes from the API's answers, through the
// typed client in session-api.js; errors are displayed, never swallowed.
import { createSessionApi, isProblem } from './session-api.js';

/**
 * @typedef {import('./session-api.js').SessionState} SessionState
 * @typedef {import('./session-api.js').SessionFields} SessionFields
 */

const THIRTY_DAYS = 30 * 24 * 60 * 60 * 1000;
const ONE_DAY = 24 * 60 * 60 * 1000;

// Served by the API itself, the SPA calls its own origin; served elsewhere, pass ?api=https://api.example.com.
const apiBase = new URLSearchParams(location.search).get('api') ?? '';
const api = createSessionApi(apiBase);

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {{ new (): T, name: string }} type
 * @returns {T}
 */
function element(id, type) {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`The page has no ${type.name} #${id}.`);
  return found;
}

const ui = {
  app: element('app', HTMLElement),
  apiBase: element('api-base', HTMLElement),
  count: element('count', HTMLElement),
  countLabel: element('count-label', HTMLElement),
  increment: element('increment', HTMLButtonElement),
  status: element('status', HTMLElement),
  login: element('login', HTMLFormElement),
  user: element('user', HTMLInputElement),
  remember: element('remember', HTMLInputElement),
  idleRow: element('idle-row', HTMLElement),
  idleExpires: element('idle-expires', HTMLTimeElement),
  absoluteRow: element('absolute-row', HTMLElement),
  absoluteExpires: element('absolute-expires', HTMLTimeElement),
  logout: element('logout', HTMLButtonElement),
  error: element('error', HTMLElement),
};

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** The session as the API last answered it, with its ETag; null when there is none. @type {SessionState | null} */
let state = null;
let loaded = false;
/** Actions clicked but not finished: the page is `aria-busy` while there are any. */
let pending = 0;
let queue = Promise.resolve();

/** @param {SessionFields} fields */
const visits = (fields) => (typeof fields.count === 'number' ? fields.count : 0);

/**
 * @param {HTMLElement} row
 * @param {HTMLTimeElement} time
 * @param {Date | null} date
 */
function showDate(row, time, date) {
  row.hidden = date === null;
  time.dateTime = date?.toISOString() ?? '';
  time.textContent = date === null ? '' : dateFormat.format(date);
}

function render() {
  const session = state?.session ?? null;
  const count = session === null ? 0 : visits(session);
  ui.apiBase.textContent = apiBase || location.origin;
  ui.count.textContent = String(count);
  ui.countLabel.textContent = count === 1 ? 'visit' : 'visits';
  ui.status.textContent = !loaded ? 'Checking your session…'
    : typeof session?.user === 'string' ? `Logged in as ${session.user}.`
    : session !== null ? 'Not logged in.' : 'No session yet.';
  ui.remember.checked = (session?.cookie.maxAge ?? 0) >= THIRTY_DAYS;
  // Only the answers to writes carry the idle expiry: a read cannot know when the session was last written.
  showDate(ui.idleRow, ui.idleExpires, state?.idleExpires ?? null);
  showDate(ui.absoluteRow, ui.absoluteExpires, state?.absoluteExpires ?? null);
  ui.logout.disabled = session === null;
  renderBusy();
}

function renderBusy() {
  ui.app.setAttribute('aria-busy', String(pending > 0));
}

/**
 * Runs this tab's actions one after the other, in the order they were clicked, so that they never race each other;
 * the races with other tabs are the API's If-Match to settle. Shows the error of an action that failed.
 * @param {() => Promise<void>} action
 */
function perform(action) {
  pending += 1;
  // Not a full render: that would show the state from before this action, e.g. untick the box just ticked.
  renderBusy();
  queue = queue.then(async () => {
    ui.error.hidden = true;
    try {
      await action();
    } catch (error) {
      // Another tab logged out meanwhile: there is no session left to show.
      if (isProblem(error, 'urn:sessionfunctions:problem:session-not-found')) state = null;
      ui.error.textContent = `Error: ${error instanceof Error ? error.message : String(error)}`;
      ui.error.hidden = false;
    } finally {
      pending -= 1;
      render();
    }
  });
}

ui.increment.addEventListener('click', () => perform(async () => {
  // Read-modify-write with If-Match, starting from what this tab last saw: one request when no one else wrote since,
  // and when another tab did (412), the client reads the session again and re-applies, so no visit is ever lost.
  state = await api.update((fields) => ({ ...fields, count: visits(fields) + 1 }), { current: state });
}));

ui.login.addEventListener('submit', (event) => {
  event.preventDefault();
  const user = ui.user.value.trim();
  if (user === '') return;
  perform(async () => {
    state ??= await api.get();
    if (state === null) {
      // A new session is under a new id already.
      state = await api.create({ user });
      return;
    }
    // A new session id at every privilege change (OWASP). Regenerate without a body copies the session as it is now,
    // whoever wrote it last; the merge patch then adds the user without touching the other fields.
    await api.regenerate();
    state = await api.patch({ user });
  });
});

ui.remember.addEventListener('change', () => {
  const maxAge = ui.remember.checked ? THIRTY_DAYS : ONE_DAY;
  perform(async () => {
    state ??= await api.get();
    // A merge patch changes the cookie options alone, atomically: nothing to read first, no update to lose.
    state = state === null ? await api.create({ cookie: { maxAge } }) : await api.patch({ cookie: { maxAge } });
  });
});

ui.logout.addEventListener('click', () => perform(async () => {
  // No If-Match: logging out ends the session whatever another tab did to it.
  await api.remove();
  state = null;
}));

// Back in this tab: show what other tabs did meanwhile. If-None-Match makes the usual answer, nothing changed, a 304
// without a body.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible' || pending > 0) return;
  perform(async () => {
    const answer = await api.get({ ifNoneMatch: state?.etag });
    if (answer?.status !== 304) state = answer;
  });
});

perform(async () => {
  try {
    state = await api.get();
  } finally {
    loaded = true;
  }
});
