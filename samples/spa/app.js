// The demo: a visit counter, log in (regenerate), remember me (a 30-day cookie) and log out.
// Everything shown comes from the API's responses; errors are displayed, never swallowed.
import { createSessionApi } from './session-api.js';

const THIRTY_DAYS = 30 * 24 * 60 * 60 * 1000;
const ONE_DAY = 24 * 60 * 60 * 1000;

// Served by the API itself, the SPA calls its own origin; served elsewhere, pass ?api=https://api.example.com.
const apiBase = new URLSearchParams(location.search).get('api') ?? '';
const api = createSessionApi(apiBase);
const $ = (id) => document.getElementById(id);

let session = null;

function fields() {
  const { cookie, ...rest } = session ?? {};
  return rest;
}

function render() {
  $('api-base').textContent = apiBase || location.origin;
  const count = session?.count ?? 0;
  $('count').textContent = String(count);
  $('count-label').textContent = count === 1 ? 'visit' : 'visits';
  $('status').textContent = session?.user ? `Logged in as ${session.user}.` : session ? 'Not logged in.' : 'No session yet.';
  $('remember').checked = (session?.cookie?.maxAge ?? 0) >= THIRTY_DAYS;
  $('logout').disabled = session === null;
}

async function run(action) {
  $('error').hidden = true;
  try {
    await action();
  } catch (error) {
    $('error').textContent = `Error: ${error.message}`;
    $('error').hidden = false;
  }
  render();
}

$('increment').addEventListener('click', () => run(async () => {
  session = await api.save({ ...fields(), count: (session?.count ?? 0) + 1 });
}));

$('login').addEventListener('submit', (event) => {
  event.preventDefault();
  run(async () => {
    const user = $('user').value.trim();
    // A new session id on every privilege change (OWASP); create a session first if there is none.
    if (session === null) session = await api.save({});
    session = await api.regenerate({ ...fields(), user });
  });
});

$('remember').addEventListener('change', () => run(async () => {
  const maxAge = $('remember').checked ? THIRTY_DAYS : ONE_DAY;
  session = await api.save({ ...fields(), cookie: { maxAge } });
}));

$('logout').addEventListener('click', () => run(async () => {
  await api.remove();
  session = null;
}));

run(async () => { session = await api.get(); });
