// A small typed client for the session API, to copy into a SPA. It is plain JavaScript that browsers load as it is;
// its types come from openapi.d.ts, which openapi-typescript generates from the committed OpenAPI document, and
// `npm run check` (run by test.sh) holds this file and the demo to them with tsc. A change to the contract that the
// client does not follow (a renamed header, media type or problem type) therefore fails the tests, not the browser.
//
// Every call sends the session cookies (credentials: 'include'): same-origin that is the default, and cross-origin it
// works once the SPA's origin is in the API's CORS allow-list.

/**
 * @typedef {import('./openapi.js').paths} Paths
 * @typedef {import('./openapi.js').operations} Operations
 * @typedef {import('./openapi.js').components['schemas']} Schemas
 * @typedef {Operations['GetSession']['responses'][200]['content']['application/json']} Session
 *   The session as stored: the app's fields beside koa's `cookie` object.
 * @typedef {NonNullable<Operations['SaveSession']['requestBody']>['content']['application/json']} SessionInput
 *   The fields to store, and optionally `cookie` overrides (e.g. `{ maxAge }` for "remember me").
 * @typedef {NonNullable<Operations['PatchSession']['requestBody']>['content']['application/merge-patch+json']}
 *   SessionPatch
 *   A JSON merge patch: `null` removes a field, objects merge, fields it does not name are kept.
 * @typedef {{ [field: string]: unknown }} SessionFields  A session's own fields, without `cookie`.
 * @typedef {Operations['ListUserSessions']['responses'][200]['content']['application/json']} UserSessions
 * @typedef {UserSessions['sessions'][number]} UserSession
 *   One session of the user (needs `Session:UserIdPath`): its opaque `handle` (to sign it out), whether it is
 *   `current` (this browser's), `created` and `lastSeen` (ISO-8601 UTC), and the client `label` named at login.
 * @typedef {Schemas['Problem']} Problem
 * @typedef {Schemas['ProblemType']} ProblemType
 */

/**
 * The names an object type declares, without its index signature (`[name: string]: unknown`, which would let any
 * string through).
 * @template T
 * @typedef {keyof { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] }} DeclaredKeys
 */

/**
 * What a call that answers with the session gives back.
 * @typedef {object} SessionState
 * @property {200 | 201} status  201 when the call created the session.
 * @property {Session} session
 * @property {string | null} etag  Names this value of the session: pass it back as `ifMatch` or `ifNoneMatch`. Null
 *   only when a cross-origin API does not expose the `ETag` header (the standalone server does).
 * @property {Date | null} idleExpires  When the session ends unless it is written again (`Session-Idle-Expires`). Sent
 *   by the calls that set its TTL (writes, and reads with `Rolling`), not by a plain read.
 * @property {Date | null} absoluteExpires  When it ends however active it is (`Session-Absolute-Expires`), once the
 *   API has an absolute timeout.
 */

/**
 * `get` with `ifNoneMatch` naming the current value: the session is unchanged, and no body was sent.
 * @typedef {object} NotModified
 * @property {304} status
 * @property {string | null} etag
 * @property {Date | null} idleExpires
 * @property {Date | null} absoluteExpires
 */

/**
 * @typedef {object} Precondition
 * @property {string | null | undefined} [ifMatch]  Change the session only if it is still the value this ETag names
 *   (else a `SessionApiError` with status 412, and nothing changed); `*`: only if a session exists. Null or absent:
 *   unconditionally.
 */

// The routes, each checked by tsc against the paths of the generated types.
/** @type {keyof Paths} */
const SESSION = '/api/session';
/** @type {keyof Paths} */
const REGENERATE = '/api/session/regenerate';
/** @type {keyof Paths} */
const USER_SESSIONS = '/api/session/all';
/** @type {keyof Paths} */
const OTHER_USER_SESSIONS = '/api/session/others';
/** @type {keyof Paths} */
const USER_SESSION = '/api/session/all/{handle}';

// The header and media type names, each checked by tsc against the operations of the generated types.
/** @type {keyof NonNullable<Operations['SaveSession']['parameters']['header']>} */
const IF_MATCH = 'If-Match';
/** @type {keyof NonNullable<Operations['GetSession']['parameters']['header']>} */
const IF_NONE_MATCH = 'If-None-Match';
/** @type {DeclaredKeys<Operations['SaveSession']['responses'][200]['headers']>} */
const ETAG = 'ETag';
/** @type {DeclaredKeys<Operations['SaveSession']['responses'][200]['headers']>} */
const IDLE_EXPIRES = 'Session-Idle-Expires';
/** @type {DeclaredKeys<Operations['SaveSession']['responses'][200]['headers']>} */
const ABSOLUTE_EXPIRES = 'Session-Absolute-Expires';
/** @type {DeclaredKeys<Operations['SaveSession']['responses'][503]['headers']>} */
const RETRY_AFTER = 'Retry-After';
/** @type {keyof NonNullable<Operations['SaveSession']['requestBody']>['content']} */
const JSON_BODY = 'application/json';
/** @type {keyof NonNullable<Operations['PatchSession']['requestBody']>['content']} */
const MERGE_PATCH_BODY = 'application/merge-patch+json';
/** @type {keyof Operations['SaveSession']['responses'][412]['content']} */
const PROBLEM_BODY = 'application/problem+json';

/**
 * An answer other than 2xx or 304. Branch on `type`, the problem's stable URN (e.g.
 * `urn:sessionfunctions:problem:precondition-failed`), not on the message.
 */
export class SessionApiError extends Error {
  /**
   * @param {Response} response
   * @param {Problem | null} problem  Null when the answer was not problem+json (a proxy's own error page, say).
   */
  constructor(response, problem) {
    super(problem === null ? `HTTP ${response.status}` : [problem.title, problem.detail].filter(Boolean).join(' '));
    this.name = 'SessionApiError';
    /** The HTTP status. */
    this.status = response.status;
    /** @type {ProblemType | null} */
    this.type = problem?.type ?? null;
    /** @type {string | null} The type's fixed summary. */
    this.title = problem?.title ?? null;
    /** @type {string | null} What happened this time, when the title does not say it all. */
    this.detail = problem?.detail ?? null;
    /** On a 412, the ETag of the current session (null when there is none): read it again, re-apply, retry. */
    this.etag = response.headers.get(ETAG);
    /** On a 503, the seconds to wait before retrying. */
    this.retryAfter = numberOrNull(response.headers.get(RETRY_AFTER));
  }
}

/**
 * The client for the API at `baseUrl` (e.g. `https://api.example.com`; empty for the page's own origin).
 * @param {string} [baseUrl]
 */
export function createSessionApi(baseUrl = '') {
  const origin = baseUrl.replace(/\/+$/, '');

  /**
   * One request; resolves to a 2xx or 304 response and throws a SessionApiError for anything else. A network
   * failure (the API down, or CORS refusing the origin) stays the browser's TypeError.
   * @param {'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'} method
   * @param {{ path?: string, body?: unknown, mediaType?: string, ifMatch?: string | null | undefined,
   *   ifNoneMatch?: string | null | undefined, bearer?: string | null | undefined }} request  `path`: one of the routes
   *   above, its parameters filled in; `bearer`: an ID token, sent as `Authorization: Bearer` (the verified login only).
   */
  async function send(method, { path = SESSION, body, mediaType = JSON_BODY, ifMatch, ifNoneMatch, bearer }) {
    /** @type {Record<string, string>} */
    const headers = {};
    if (body !== undefined) headers['Content-Type'] = mediaType;
    if (bearer != null) headers.Authorization = `Bearer ${bearer}`;
    if (ifMatch != null) headers[IF_MATCH] = ifMatch;
    if (ifNoneMatch != null) headers[IF_NONE_MATCH] = ifNoneMatch;
    const response = await fetch(origin + path, {
      method,
      credentials: 'include',
      headers,
      body: body === undefined ? null : JSON.stringify(body),
    });
    if (response.ok || response.status === 304) return response;
    throw new SessionApiError(response, await problemOf(response));
  }

  /**
   * Starts a new session under a new id, holding `fields` (none when absent). A session this browser had is
   * deleted once the new one is stored.
   * @param {SessionInput} [fields]
   * @returns {Promise<SessionState>}
   */
  async function create(fields) {
    return stateOf(await send('POST', { body: fields }));
  }

  /**
   * @overload
   * @returns {Promise<SessionState | null>}
   */
  /**
   * @overload
   * @param {{ ifNoneMatch?: string | null | undefined }} options
   * @returns {Promise<SessionState | NotModified | null>}
   */
  /**
   * The current session, or null when there is none. With `ifNoneMatch` naming the current value, a NotModified
   * (status 304) instead, without a body: for SPAs that poll.
   * @param {{ ifNoneMatch?: string | null | undefined }} [options]
   * @returns {Promise<SessionState | NotModified | null>}
   */
  async function get({ ifNoneMatch } = {}) {
    let response;
    try {
      response = await send('GET', { ifNoneMatch });
    } catch (error) {
      if (isProblem(error, 'urn:sessionfunctions:problem:session-not-found')) return null;
      throw error;
    }
    return response.status === 304 ? { status: 304, ...validatorsOf(response) } : stateOf(response);
  }

  /**
   * Replaces the session's fields (`cookie`, if given, holds overrides merged into the current options). Without a
   * session it creates one (status 201), unless `ifMatch` is set.
   * @param {SessionInput} fields
   * @param {Precondition} [options]
   * @returns {Promise<SessionState>}
   */
  async function save(fields, { ifMatch } = {}) {
    return stateOf(await send('PUT', { body: fields, ifMatch }));
  }

  /**
   * Changes only the fields the merge patch names, atomically, even without `ifMatch`: another writer's change to
   * other fields is never lost. Needs a session (404 session-not-found otherwise).
   * @param {SessionPatch} patch
   * @param {Precondition} [options]
   * @returns {Promise<SessionState>}
   */
  async function patch(patch, { ifMatch } = {}) {
    return stateOf(await send('PATCH', { body: patch, mediaType: MERGE_PATCH_BODY, ifMatch }));
  }

  /**
   * Read-modify-write that never loses another writer's change (another tab, another device): `change` gets the
   * session's fields and returns the new ones, which are saved with If-Match; when someone else changed the session
   * first (412), the session is read again and `change` applied again, so `change` may run more than once and must
   * only compute. Starts from `current` (a state this client returned) without reading, else reads first. Without a
   * session it creates one: no precondition can say "only if there is none", so two tabs of a browser that has no
   * session yet can still race on that first write.
   * @param {(fields: SessionFields) => SessionInput} change
   * @param {{ current?: SessionState | null, attempts?: number }} [options]
   * @returns {Promise<SessionState>}
   */
  async function update(change, { current = null, attempts = 10 } = {}) {
    let state = current ?? (await get());
    for (let attempt = 1; ; attempt += 1) {
      if (state === null) return save(change({}));
      if (state.etag === null) throw new Error(`The API's ${ETAG} header cannot be read: its CORS must expose it.`);
      try {
        return await save(change(fieldsOf(state.session)), { ifMatch: state.etag });
      } catch (error) {
        if (!isProblem(error, 'urn:sessionfunctions:problem:precondition-failed') || attempt >= attempts) throw error;
      }
      // Another writer won this round. A random pause, longer after each loss, keeps two tabs from colliding in
      // lockstep again.
      await sleep(Math.random() * Math.min(500, 5 * 2 ** attempt));
      state = await get();
    }
  }

  /**
   * Moves the session to a new id (use it after a login: OWASP's rule for every privilege change). The new session
   * holds `fields` when given, else a copy of the current data, cookie options included.
   * @param {SessionInput} [fields]
   * @param {Precondition} [options]
   * @returns {Promise<SessionState>}
   */
  async function regenerate(fields, { ifMatch } = {}) {
    return stateOf(await send('POST', { path: REGENERATE, body: fields, ifMatch }));
  }

  /**
   * Logs in with an OpenID Connect ID token from the provider the API trusts (`Session:Login`; with Entra ID, the
   * `id_token` MSAL.js returns): the API validates it, moves the session to a new id, and writes the token's user
   * into the protected fields (by default `user.id`), which no other call can change. Without a session it makes one.
   * A token the API refuses throws a `SessionApiError` of type `invalid-token` (401), and nothing changed. The token
   * goes to this one call: the session cookie, not the token, carries the login from then on.
   * @param {string} idToken
   * @param {SessionInput} [fields]  The new session's other fields; absent: a copy of the current ones.
   * @returns {Promise<SessionState>}
   */
  async function login(idToken, fields) {
    return stateOf(await send('POST', { path: REGENERATE, body: fields, bearer: idToken }));
  }

  /**
   * Ends the session and clears its cookies. Idempotent: removing no session succeeds.
   * @param {Precondition} [options]
   * @returns {Promise<void>}
   */
  async function remove({ ifMatch } = {}) {
    await send('DELETE', { ifMatch });
  }

  // "Where you're signed in": the API keeps an index of each user's sessions once `Session:UserIdPath` names where the
  // session holds the user id (e.g. `/user/id` for `{ user: { id: 'ada' } }`). Without a session these calls throw
  // `session-not-found`; for a session without a user id, or when the API keeps no index, `no-user`.

  /**
   * The sessions of the current session's user: this one first (`current: true`), then by last save.
   * @returns {Promise<UserSession[]>}
   */
  async function listSessions() {
    const response = await send('GET', { path: USER_SESSIONS });
    return /** @type {UserSessions} */ (await response.json()).sessions;
  }

  /**
   * Signs out every other session of the user (its other devices and browsers); this one stays signed in.
   * @returns {Promise<void>}
   */
  async function signOutOthers() {
    await send('DELETE', { path: OTHER_USER_SESSIONS });
  }

  /**
   * Signs out one session of the user, by the `handle` that `listSessions` gave (a `SessionApiError` of type
   * `user-session-not-found` when no session of this user has it any more). This session's own handle logs it out,
   * cookies cleared, as `remove` does.
   * @param {string} handle
   * @returns {Promise<void>}
   */
  async function signOut(handle) {
    await send('DELETE', { path: USER_SESSION.replace('{handle}', encodeURIComponent(handle)) });
  }

  /**
   * Signs out every session of the user, this one included (its cookies are cleared).
   * @returns {Promise<void>}
   */
  async function signOutEverywhere() {
    await send('DELETE', { path: USER_SESSIONS });
  }

  return { create, get, save, patch, update, regenerate, login, remove, listSessions, signOutOthers, signOut, signOutEverywhere };
}

/** @typedef {ReturnType<typeof createSessionApi>} SessionApi */

/**
 * A session's own fields: everything but its `cookie` object, which a save need not send back (the server keeps
 * the options; a save's `cookie` holds only the overrides it changes).
 * @param {Session} session
 * @returns {SessionFields}
 */
export function fieldsOf(session) {
  const { cookie: _cookie, ...fields } = session;
  return fields;
}

/**
 * Whether `error` is the API's answer with this problem type.
 * @param {unknown} error
 * @param {ProblemType} type
 * @returns {error is SessionApiError}
 */
export function isProblem(error, type) {
  return error instanceof SessionApiError && error.type === type;
}

/** @param {Response} response @returns {Promise<SessionState>} */
async function stateOf(response) {
  const session = /** @type {Session} */ (await response.json());
  return { status: response.status === 201 ? 201 : 200, session, ...validatorsOf(response) };
}

/** @param {Response} response */
function validatorsOf(response) {
  return {
    etag: response.headers.get(ETAG),
    idleExpires: dateOrNull(response.headers.get(IDLE_EXPIRES)),
    absoluteExpires: dateOrNull(response.headers.get(ABSOLUTE_EXPIRES)),
  };
}

/** @param {Response} response @returns {Promise<Problem | null>} */
async function problemOf(response) {
  if (!(response.headers.get('Content-Type') ?? '').startsWith(PROBLEM_BODY)) return null;
  try {
    return /** @type {Problem} */ (await response.json());
  } catch {
    return null;
  }
}

/** @param {string | null} value */
function dateOrNull(value) {
  const date = value === null ? null : new Date(value);
  return date !== null && !Number.isNaN(date.getTime()) ? date : null;
}

/** @param {string | null} value */
function numberOrNull(value) {
  const number = value === null ? NaN : Number(value);
  return Number.isFinite(number) ? number : null;
}

/** @param {number} milliseconds */
function sleep(milliseconds) {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
