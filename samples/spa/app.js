// The demo: a visit counter that two tabs can click at once without losing a count, log in (regenerate with an ID
// token from the development issuer), remember me (a 30-day cookie), log out, when the session ends, and "Your
// sessions": every browser where the user is signed in, with "sign out other devices". Everything shown comes from the
// API's answers, through the typed client in session-api.js; errors are displayed, never swallowed.
import { createSessionApi, isProblem } from './session-api.js';

/**
 * @typedef {import('./session-api.js').SessionState} SessionState
 * @typedef {import('./session-api.js').SessionFields} SessionFields
 * @typedef {import('./session-api.js').UserSession} UserSession
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
  sessionsNote: element('sessions-note', HTMLElement),
  sessionList: element('session-list', HTMLUListElement),
  sessionActions: element('session-actions', HTMLElement),
  signOutOthers: element('sign-out-others', HTMLButtonElement),
  signOutEverywhere: element('sign-out-everywhere', HTMLButtonElement),
  refreshSessions: element('refresh-sessions', HTMLButtonElement),
  error: element('error', HTMLElement),
};

// Why the sessions panel has no list to show.
const NOTE_LOG_IN = 'Log in to see every browser where you are signed in, and to sign out the others.';
const NOTE_SIGNED_OUT = 'This browser was signed out: from another device, or its session ended. Log in again to see '
  + 'your sessions.';
const NOTE_NO_INDEX = 'This API keeps no list of a user\'s sessions: start it with Session:UserIdPath=/user/id (where '
  + 'this demo keeps the user id) to see them here.';

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** The session as the API last answered it, with its ETag; null when there is none. @type {SessionState | null} */
let state = null;
let loaded = false;
/** Actions clicked but not finished: the page is `aria-busy` while there are any. */
let pending = 0;
let queue = Promise.resolve();

/**
 * What the sessions panel shows: the user's sessions as the API last listed them, or why there is no list.
 * @type {{ sessions: UserSession[], note: null } | { sessions: null, note: string }}
 */
let devices = { sessions: null, note: NOTE_LOG_IN };

/** @param {SessionFields} fields */
const visits = (fields) => (typeof fields.count === 'number' ? fields.count : 0);

/**
 * The user id the demo logs in with, at `/user/id` (the API's `Session:UserIdPath`); null when not logged in.
 * @param {SessionFields | null | undefined} fields
 */
function userOf(fields) {
  const user = fields?.user;
  if (typeof user !== 'object' || user === null || !('id' in user)) return null;
  return typeof user.id === 'string' && user.id !== '' ? user.id : typeof user.id === 'number' ? String(user.id) : null;
}

/**
 * A short name for the client a session was logged in from: its label is what the browser sent at login (the
 * `Session-Client-Label` header, else the User-Agent), shown in full as the tooltip.
 * @param {string | null} label
 */
function clientName(label) {
  if (label === null) return 'Unnamed client';
  if (!label.startsWith('Mozilla/')) return label;
  const browser = /Edg\//.test(label) ? 'Edge' : /Firefox\//.test(label) ? 'Firefox'
    : /Chrome\//.test(label) ? 'Chrome' : /Safari\//.test(label) ? 'Safari' : 'A browser';
  const system = /Android/.test(label) ? 'Android' : /iPhone|iPad/.test(label) ? 'iOS' : /Windows/.test(label) ? 'Windows'
    : /Mac OS X/.test(label) ? 'macOS' : /Linux/.test(label) ? 'Linux' : null;
  return system === null ? browser : `${browser} on ${system}`;
}

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
  const user = userOf(session);
  ui.status.textContent = !loaded ? 'Checking your session…'
    : user !== null ? `Logged in as ${user}.`
    : session !== null ? 'Not logged in.' : 'No session yet.';
  ui.remember.checked = (session?.cookie.maxAge ?? 0) >= THIRTY_DAYS;
  // Only the answers to writes carry the idle expiry: a read cannot know when the session was last written.
  showDate(ui.idleRow, ui.idleExpires, state?.idleExpires ?? null);
  showDate(ui.absoluteRow, ui.absoluteExpires, state?.absoluteExpires ?? null);
  ui.logout.disabled = session === null;
  renderDevices();
  renderBusy();
}

function renderDevices() {
  const { sessions, note } = devices;
  ui.sessionsNote.hidden = note === null;
  ui.sessionsNote.textContent = note ?? '';
  ui.sessionList.hidden = sessions === null;
  ui.sessionActions.hidden = sessions === null;
  ui.sessionList.replaceChildren(...(sessions ?? []).map(deviceItem));
  ui.signOutOthers.disabled = (sessions ?? []).every((s) => s.current);
  ui.signOutEverywhere.disabled = sessions === null;
}

/**
 * One session of the list. Its label is whatever a client sent, so it is set as text, never as markup.
 * @param {UserSession} session
 */
function deviceItem(session) {
  const item = document.createElement('li');
  item.className = 'device';
  item.dataset.current = String(session.current);
  const name = document.createElement('span');
  name.className = 'client';
  name.textContent = clientName(session.label);
  name.title = session.label ?? '';
  const heading = document.createElement('div');
  heading.className = 'device-heading';
  heading.append(name);
  if (session.current) {
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.textContent = 'this device';
    heading.append(badge);
  } else {
    const signOut = document.createElement('button');
    signOut.type = 'button';
    signOut.className = 'sign-out';
    signOut.textContent = 'Sign out';
    signOut.setAttribute('aria-label', `Sign out ${name.textContent}, last seen ${dateFormat.format(new Date(session.lastSeen))}`);
    signOut.addEventListener('click', () => perform(async () => {
      try {
        await api.signOut(session.handle);
      } catch (error) {
        // Gone already (signed out from elsewhere, or expired): the list read next shows it.
        if (!isProblem(error, 'urn:sessionfunctions:problem:user-session-not-found')) throw error;
      }
    }));
    heading.append(signOut);
  }
  const times = document.createElement('dl');
  times.className = 'device-times';
  times.append(timeRow('Signed in', session.created), timeRow('Last seen', session.lastSeen));
  item.append(heading, times);
  return item;
}

/**
 * @param {string} term
 * @param {string} iso
 */
function timeRow(term, iso) {
  const row = document.createElement('div');
  const dt = document.createElement('dt');
  dt.textContent = term;
  const dd = document.createElement('dd');
  const time = document.createElement('time');
  time.dateTime = iso;
  time.textContent = dateFormat.format(new Date(iso));
  dd.append(time);
  row.append(dt, dd);
  return row;
}

/**
 * Reads the user's sessions for the panel, once the session has a user; the expected answers that leave nothing to
 * list become a short note, not an error. Another device may have signed this one out: the API then has no session.
 * @param {boolean} hadUser  This tab showed a logged-in session before the action that led here.
 * @param {boolean} endedHere  That action ended the session on purpose (log out, sign out everywhere).
 */
async function listDevices(hadUser, endedHere) {
  if (userOf(state?.session) === null) {
    devices = { sessions: null, note: hadUser && !endedHere ? NOTE_SIGNED_OUT : NOTE_LOG_IN };
    return;
  }
  try {
    devices = { sessions: await api.listSessions(), note: null };
  } catch (error) {
    if (isProblem(error, 'urn:sessionfunctions:problem:session-not-found')) {
      state = null;
      devices = { sessions: null, note: NOTE_SIGNED_OUT };
    } else if (isProblem(error, 'urn:sessionfunctions:problem:no-user')) {
      // This tab sees a user id at /user/id, so the API is not looking there: it keeps no index (or another path).
      devices = { sessions: null, note: NOTE_NO_INDEX };
    } else {
      throw error;
    }
  }
}

function renderBusy() {
  ui.app.setAttribute('aria-busy', String(pending > 0));
}

/**
 * Runs this tab's actions one after the other, in the order they were clicked, so that they never race each other;
 * the races with other tabs are the API's If-Match to settle. Shows the error of an action that failed. After each
 * action of a logged-in session, the sessions panel is read again: its last-seen times, and devices signed in or out.
 * @param {() => Promise<void>} action
 * @param {{ endsSession?: boolean }} [options]  `endsSession`: the action logs this browser out on purpose.
 */
function perform(action, { endsSession = false } = {}) {
  pending += 1;
  // Not a full render: that would show the state from before this action, e.g. untick the box just ticked.
  renderBusy();
  queue = queue.then(async () => {
    ui.error.hidden = true;
    const hadUser = userOf(state?.session) !== null;
    try {
      await action();
      await listDevices(hadUser, endsSession);
    } catch (error) {
      // Another tab logged out meanwhile: there is no session left to show.
      if (isProblem(error, 'urn:sessionfunctions:problem:session-not-found')) state = null;
      if (userOf(state?.session) === null) devices = { sessions: null, note: hadUser ? NOTE_SIGNED_OUT : NOTE_LOG_IN };
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

/**
 * An ID token for `user` from the API's development issuer, `POST /dev/id-token`: the standalone server has one only
 * in the Development environment with `Session:Login:DevelopmentIssuer` (as `dotnet run` starts it). It stands in for
 * a real provider's sign-in page, and vouches for any name; with a real provider, pass the `id_token` it returns
 * (MSAL.js's, say) to `api.login` instead.
 * @param {string} user
 * @returns {Promise<string>}
 */
async function developmentIdToken(user) {
  const response = await fetch(`${apiBase.replace(/\/+$/, '')}/dev/id-token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user }),
  });
  if (response.status === 404) {
    throw new Error('This API has no development issuer to log in with (Session:Login:DevelopmentIssuer, Development '
      + 'only); a deployed SPA logs in with its OpenID Connect provider.');
  }
  const answer = /** @type {unknown} */ (await response.json().catch(() => null));
  if (!response.ok || typeof answer !== 'object' || answer === null || !('idToken' in answer) || typeof answer.idToken !== 'string') {
    throw new Error(`The development issuer answered HTTP ${response.status}.`);
  }
  return answer.idToken;
}

ui.login.addEventListener('submit', (event) => {
  event.preventDefault();
  const user = ui.user.value.trim();
  if (user === '') return;
  perform(async () => {
    // The verified login: the API checks the token, moves the session to a new id (OWASP: a new id at every privilege
    // change) with a copy of its fields, and writes the user id at /user/id itself, which no browser can. That puts the
    // session in the user's list of sessions, labelled with this browser's User-Agent. Without a session it makes one.
    state = await api.login(await developmentIdToken(user));
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
}, { endsSession: true }));

// Every other session of the user ends: the other browsers find themselves logged out at their next request. This
// one stays as it is; the list read after it shows it alone.
ui.signOutOthers.addEventListener('click', () => perform(() => api.signOutOthers()));

ui.signOutEverywhere.addEventListener('click', () => perform(async () => {
  await api.signOutEverywhere();
  state = null;
}, { endsSession: true }));

// The list is read after every action; this is for what other browsers did meanwhile: signed in, or signed this one out.
ui.refreshSessions.addEventListener('click', () => perform(reread));

/** Reads the session again. If-None-Match makes the usual answer, nothing changed, a 304 without a body. */
async function reread() {
  const answer = await api.get({ ifNoneMatch: state?.etag });
  if (answer?.status !== 304) state = answer;
}

// Back in this tab: show what other tabs, and other devices, did meanwhile.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState !== 'visible' || pending > 0) return;
  perform(reread);
});

perform(async () => {
  try {
    state = await api.get();
  } finally {
    loaded = true;
  }
});
