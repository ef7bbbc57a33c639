namespace SessionFunctions.Server;

/// <summary>
/// What no endpoint metadata can say, as the document has it: the overview, and the components (the schemas of the JSON
/// the API takes and answers, the headers, the parameters and the security schemes). <c>ProblemType</c> is made from
/// <c>SessionProblemDocs</c>, and the cookie names follow <c>Session:Key</c>.
/// </summary>
internal static class ServerOpenApiComponents
{
    public const string Overview =
        "The resource is **the current session**: a JSON object holding the app's own fields and koa's `cookie` sub-object. It is identified by the " +
        "signed cookie pair (`koa.sid` + `koa.sid.sig`, see the security schemes); the session id never appears in a body. A browser sends the cookies " +
        "by itself (with `credentials: \"include\"` from another origin); other clients keep them from `Set-Cookie`.\n\n- **Caching.** Every response " +
        "carries `Cache-Control: no-store`.\n- **Concurrency.** A response that carries the session carries its `ETag`. Send it back in `If-Match` to " +
        "change the session only if no one else did (else `412`), or in `If-None-Match` on a read to get `304` while it is unchanged.\n- **CSRF.** A " +
        "state-changing request from a browser page must come from the API's own origin or one in `Cors:AllowedOrigins`, else it is refused with `403 " +
        "cross-site-request`.\n- **Errors** are RFC 9457 `application/problem+json` with a stable `type` (see `ProblemType`): branch on it. A failed " +
        "request (any 5xx, and every 409) sends no `Set-Cookie`: the client keeps the cookies it had, and the store keeps the sessions it had.\n- " +
        "**Unknown routes and methods.** Below `/api`, a path that does not exist answers `404` (`urn:sessionfunctions:problem:not-found`), and a method " +
        "that a path does not take answers `405` (`urn:sessionfunctions:problem:method-not-allowed`) with `Allow`, both as problem+json.\n- A few " +
        "malformed requests are answered by Kestrel itself, before the app, with an empty body: a bad request line or `Host`, headers over 32 KiB (431), " +
        "a URL over 8 KiB (414).\n\nThe standalone server serves this document at `/openapi/v1.json`, the Azure Functions app at `/api/openapi/v1.json`; " +
        "it is committed as `openapi/session-api.json`.";

    /// <summary><c>components</c> in OpenAPI 3.1 JSON, where a line break and the indentation around it read as one space.</summary>
    public const string Json = """
    {
      "schemas": {
        "Session": { "type": "object", "required": ["cookie"], "additionalProperties": {},
          "description": "A session as stored: the app's own fields (any JSON) beside koa's `cookie` object. Its id is never in a body, only in
            the cookie.",
          "properties": { "cookie": { "$ref": "#/components/schemas/SessionCookie" } },
          "examples": [{ "cookie": { "httpOnly": true, "path": "/", "overwrite": true, "signed": true, "maxAge": 86400000 }, "count": 1,
            "theme": "dark", "user": { "id": "ada" } }] },
        "SessionCookie": { "type": "object",
          "description": "koa's `cookie` object: the options this session's cookie pair is sent with. Each session keeps its own (a new one starts
            from `Session:Cookie`), and a session written by Koa may hold other values, so read it leniently.",
          "properties": {
            "httpOnly": { "type": "boolean", "description": "Whether the cookies are `HttpOnly`, hidden from scripts. Set by the server (default `true`)." },
            "path": { "type": "string", "description": "The cookies' `path`. Set by the server (default `/`)." },
            "overwrite": { "type": "boolean", "description": "koa's `overwrite`, kept for Koa. Set by the server (default `true`)." },
            "signed": { "type": "boolean", "description": "Whether the `.sig` cookie signs the id. Set by the server (default `true`)." },
            "maxAge": { "type": ["integer", "null"], "description": "The cookie's lifetime in milliseconds from each write; absent or `null` for a
              browser-session cookie (default 86400000, one day)." },
            "expires": { "type": ["string", "null"], "format": "date-time",
              "description": "An absolute expiry (ISO 8601), which sets the store's TTL when `maxAge` is not set." },
            "domain": { "type": "string", "description": "The cookies' `domain`, when configured. Set by the server." },
            "sameSite": { "type": ["string", "boolean"],
              "description": "`lax`, `strict` or `none`; koa also stores `true` (strict). Absent: no attribute, the browser's default." },
            "secure": { "type": "boolean", "description": "`true`: only over HTTPS; `false`: never. Absent: automatic, secure on HTTPS requests." },
            "priority": { "type": "string", "description": "`low`, `medium` or `high`; absent: no attribute." },
            "partitioned": { "type": "boolean", "description": "Whether the cookies are partitioned (CHIPS), for a SPA embedded on another site." } },
          "examples": [{ "httpOnly": true, "path": "/", "overwrite": true, "signed": true, "maxAge": 86400000 }] },
        "SessionInput": { "type": "object", "additionalProperties": {},
          "description": "The session's fields: any JSON properties except `cookie`; they replace the current fields (fields left out are removed).
            `cookie` holds overrides of the cookie options, merged into the current ones; leave it out to keep them. At most `Session:MaxBodyBytes`
            (64 KiB) of UTF-8 JSON, nested at most 64 levels, with no property repeated.",
          "properties": { "cookie": { "$ref": "#/components/schemas/CookieOverrides" } },
          "examples": [{ "count": 1, "theme": "dark" }, { "count": 1, "theme": "dark", "cookie": { "maxAge": 2592000000 } },
            { "count": 1, "cookie": { "sameSite": "none", "secure": true, "partitioned": true } }, { "cart": [], "step": "checkout" }] },
        "SessionPatch": { "type": "object", "additionalProperties": {},
          "description": "A JSON merge patch (RFC 7396) of the session's fields: a property set to `null` is removed, an object is merged into the
            current one recursively, anything else replaces; fields it does not name are kept. `cookie`, if present, is an object of overrides of
            the cookie options, merged as in a save (the `cookie` object itself cannot be removed).",
          "properties": { "cookie": { "$ref": "#/components/schemas/CookieOverrides" } },
          "examples": [{ "theme": "dark", "draft": null }, { "cookie": { "maxAge": 2592000000 } }] },
        "CookieOverrides": { "type": "object", "additionalProperties": false,
          "description": "Changes to this session's cookie options, merged into its current ones; `null` resets an option. A client may change the
            cookie's lifetime and cross-site behaviour. It may send `httpOnly`, `path`, `domain`, `signed` and `overwrite` back unchanged (as read
            from GET) but never change them: a script that could turn off `HttpOnly` or move the cookie to another domain would defeat the cookie's
            protections. Anything else is refused with `invalid-cookie`.",
          "properties": {
            "maxAge": { "type": ["integer", "null"], "minimum": 0, "maximum": 34560000000, "description": "The cookie's lifetime in whole
              milliseconds, at most 400 days (34560000000); `null` for a browser-session cookie (the store then keeps the session for
              `Session:FallbackTtl`)." },
            "expires": { "type": ["string", "null"], "format": "date-time", "description": "An ISO-8601 date in the future, at most 400 days
              ahead, or `null`. It sets the store's TTL, while `maxAge` (if set) still sets the cookie's expiry, as in koa." },
            "sameSite": { "type": ["string", "boolean", "null"], "enum": ["lax", "strict", "none", true, false, null], "description": "`lax`,
              `strict` or `none` (in any case); `none` needs a secure cookie. `true` means `strict`; `false` or `null`: no attribute." },
            "secure": { "type": ["boolean", "null"], "description": "`true`: only over HTTPS (refused on a plain HTTP request, where the browser
              would drop the cookie); `false`: never; `null`: automatic." },
            "priority": { "type": ["string", "null"], "enum": ["low", "medium", "high", null],
              "description": "The `Priority` attribute (in any case), or `null` for none." },
            "partitioned": { "type": ["boolean", "null"],
              "description": "Partition the cookies (CHIPS), for a SPA embedded on another site; `null`: no attribute." },
            "httpOnly": { "type": "boolean" }, "path": { "type": "string" }, "domain": { "type": "string" }, "signed": { "type": "boolean" },
            "overwrite": { "type": "boolean" } },
          "examples": [{ "maxAge": 2592000000, "sameSite": "lax" }] },
        "UserSessions": { "type": "object", "required": ["sessions"], "description": "The sessions of the current session's user
            (`Session:UserIdPath`), the current one first, then by last save.",
          "properties": { "sessions": { "type": "array", "items": { "type": "object",
            "required": ["handle", "current", "created", "lastSeen", "label"],
            "properties": {
              "handle": { "type": "string", "description": "Opaque: base64url of an HMAC of the session id. Never the id." },
              "current": { "type": "boolean", "description": "Whether it is the request's own session." },
              "created": { "type": "string", "format": "date-time" },
              "lastSeen": { "type": "string", "format": "date-time", "description": "Its last save or rolling read through this API." },
              "label": { "type": ["string", "null"], "maxLength": 100, "description": "The client, as named at login." } } } } },
          "examples": [{ "sessions": [
            { "handle": "Lx0mR3m8b2Yt1cK1m6a0QwS9v2E", "current": true, "created": "2025-06-01T09:00:00.000Z", "lastSeen": "2025-06-02T17:30:12.345Z",
              "label": "Laptop" },
            { "handle": "q3B8d1kVz0cY7pLr2tM5wXn4sAa", "current": false, "created": "2025-05-28T07:12:00.000Z", "lastSeen": "2025-06-01T21:03:44.010Z",
              "label": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)" }] }] },
        "Problem": { "type": "object", "required": ["type", "title", "status"], "description": "An RFC 9457 problem. Branch on `type`, which is
            stable; `title` is the type's fixed text and `detail` explains this occurrence.",
          "properties": {
            "type": { "$ref": "#/components/schemas/ProblemType" },
            "title": { "type": "string", "description": "A short, fixed summary of the type." },
            "status": { "type": "integer", "minimum": 400, "maximum": 599, "description": "The HTTP status code." },
            "detail": { "type": "string", "description": "What happened this time; absent when the title says it all." } } }
      },
      "headers": {
        "Cache-Control": { "required": true, "schema": { "type": "string" }, "example": "no-store",
          "description": "Always `no-store`: a session response carries a credential and per-user data, which no cache may keep." },
        "Set-Cookie.pair": { "required": true, "schema": { "type": "string" },
          "example": "koa.sid=-WQiXl8Kv17CgQxeYch2hWrmTYNOY8Wo; path=/; expires=Mon, 23 Nov 2026 04:05:00 GMT; httponly",
          "description": "Two `Set-Cookie` headers: the session id (`koa.sid`, or `Session:Key`) and its Keygrip signature (`koa.sid.sig`),
            written as koa's cookies module writes them: `path`, `expires` (never `Max-Age`), then `domain`, `priority`, `samesite`, `secure`,
            `httponly`, `partitioned` as the session's `cookie` object says. A browser stores them; other clients send them back in `Cookie`." },
        "Set-Cookie.refresh": { "schema": { "type": "string" },
          "example": "koa.sid=-WQiXl8Kv17CgQxeYch2hWrmTYNOY8Wo; path=/; expires=Mon, 23 Nov 2026 04:05:00 GMT; httponly",
          "description": "The cookie pair, written as `Set-Cookie.pair` says: sent when the session was written (its expiry moves on), with
            `Session:Rolling`, or to re-sign a `.sig` made with an older key; absent when nothing changed." },
        "Set-Cookie.clearing": { "schema": { "type": "string" }, "example": "koa.sid=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly",
          "description": "The clearing pair: both cookies with an empty or meaningless value and `expires=Thu, 01 Jan 1970 00:00:00 GMT`, so the
            browser drops them." },
        "Clear-Site-Data": { "schema": { "type": "string" }, "example": "\"cookies\"", "description": "`\"cookies\"`: the browser drops every
            cookie of the API's site (OWASP's advice at logout; secure contexts only). Not sent when `Session:ClearSiteData` is off." },
        "Retry-After": { "required": true, "schema": { "type": "integer" }, "example": 10,
          "description": "Seconds to wait before retrying: `Session:ReconnectTimeout`, rounded up." },
        "ETag": { "required": true, "schema": { "type": "string" }, "example": "\"7d1d0214943eeff3664f003f97a501d144ce7271\"",
          "description": "The stored session's version: `\"` + the hex SHA-1 of the exact text stored + `\"`, a strong validator. It changes
            whenever the stored session changes, whoever wrote it (a Koa app sharing the store too). Send it back in `If-Match` or `If-None-Match`." },
        "ETag.current": { "schema": { "type": "string" }, "example": "\"0c2f8e5a5b0d4a1f6e3c9b7a8d2e1f0a9b8c7d6e\"", "description": "The
            current session's version, when there is a session: read it again (or apply the change to it), then retry with this tag." },
        "Session-Idle-Expires": { "schema": { "type": "string" }, "example": "2026-11-23T04:05:00.000Z", "description": "When the session's
            idle timeout (its store TTL) ends, ISO-8601 UTC: sent when this request set the TTL (a create, a save that wrote, a regenerate, a
            rolling read). A plain read cannot know when the last write was, so it does not send it." },
        "Session-Absolute-Expires": { "schema": { "type": "string" }, "example": "2026-11-22T12:05:00.000Z", "description": "When the session
            ends however active it is (`Session:AbsoluteTimeout` after its creation), ISO-8601 UTC: sent on every response carrying a session
            once an absolute timeout applies to it." },
        "WWW-Authenticate": { "required": true, "schema": { "type": "string" }, "example": "Bearer error=\"invalid_token\"",
          "description": "The bearer token was refused (RFC 6750): get a new ID token from the provider." },
        "Accept-Patch": { "schema": { "type": "string" }, "example": "application/merge-patch+json",
          "description": "The media type a `PATCH` takes, sent when the body had another one." }
      },
      "parameters": {
        "handle": { "name": "handle", "in": "path", "required": true, "schema": { "type": "string" },
          "description": "A session's opaque handle, as `GET /api/session/all` lists it." },
        "IfMatch": { "name": "If-Match", "in": "header", "schema": { "type": "string" }, "example": "\"7d1d0214943eeff3664f003f97a501d144ce7271\"",
          "description": "Change the session only if it is still the one this `ETag` names (compared strongly; a weak tag never matches), or, with
            `*`, only if a session exists (a `PUT` then never creates one). Otherwise `412 precondition-failed` and nothing changes. The check and
            the write are one atomic store step, so it holds across instances." },
        "IfNoneMatch": { "name": "If-None-Match", "in": "header", "schema": { "type": "string" }, "example": "\"7d1d0214943eeff3664f003f97a501d144ce7271\"",
          "description": "Answer `304 Not Modified`, without a body, while the session is still the one this `ETag` names (compared weakly): for
            SPAs that poll." }
      },
      "securitySchemes": {
        "sessionId": { "type": "apiKey", "in": "cookie", "name": "koa.sid",
          "description": "The session id, as the last `Set-Cookie` sent it. Never read it in a script: the cookie is `HttpOnly` by default." },
        "sessionSignature": { "type": "apiKey", "in": "cookie", "name": "koa.sid.sig", "description": "The id's Keygrip signature (HMAC-SHA1
            with the server's signing keys), sent with it; required unless `Session:Cookie:Signed` is off." },
        "idToken": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "An OpenID Connect ID token from the provider
            `Session:Login` names (Entra ID, say), sent to `POST /api/session/regenerate` only: a verified login. Validated with
            Microsoft.IdentityModel (signature, issuer, audience, lifetime, algorithm); its claims are written into the session's protected
            fields. See docs/security.md." }
      }
    }
    """;
}
