namespace SessionFunctions.Http;

/// <summary>When the API answers a problem type (CommonMark, as the README's Errors table says), and the headers it always carries.</summary>
internal sealed record SessionProblemDoc(string When, params string[] Headers);

/// <summary>Every <see cref="SessionProblem"/>, by status, for <c>ProblemType</c> and each problem response; OpenApiTests fails on one missing.</summary>
internal static class SessionProblemDocs
{
    public static OrderedDictionary<SessionProblem, SessionProblemDoc> All { get; } = new()
    {
        [SessionProblem.InvalidJson] = new("The body is not valid JSON or not valid UTF-8, repeats a property, nests deeper than 64 levels, or holds " +
            "a lone UTF-16 surrogate escape (`\"\\ud800\"`)."),
        [SessionProblem.BodyNotObject] = new("The body is JSON but not an object."),
        [SessionProblem.BodyRequired] = new("A `PUT` or `PATCH` without a body."),
        [SessionProblem.InvalidCookie] = new("Invalid `cookie` overrides (see `CookieOverrides`): an unknown option, a value out of range, a change to " +
            "`httpOnly`, `path`, `domain`, `signed` or `overwrite`, `sameSite: none` without a secure cookie, or `secure: true` over plain HTTP."),
        [SessionProblem.ForbiddenKey] = new("The body holds a member named `__proto__` (at any depth), or `prototype` inside a member named " +
            "`constructor`: names that reach a JavaScript object's prototype when an app sharing the store (Koa) merges the session into its own " +
            "objects. `detail` gives the member's JSON pointer. Stored values are not checked. Nothing changed."),
        [SessionProblem.BadRequest] = new("A malformed HTTP request that reaches the app (a body that ends before its `Content-Length`, say), an " +
            "`If-Match` sent empty, or `If-None-Match` on a write (it is supported on `GET` and `HEAD` only)."),
        [SessionProblem.InvalidToken] = new("`Authorization: Bearer` on `POST /api/session/regenerate`: the token is not an ID token this API " +
            "accepts (`Session:Login`): malformed, signed with an unknown key or a refused algorithm (never `none`), expired or not yet valid, from " +
            "another issuer or for another audience, or without the user id claim; or no verified login is configured. Nothing changed.",
            "WWW-Authenticate"),
        [SessionProblem.CrossSiteRequest] = new("A browser page on an origin that is neither the API's own nor in `Cors:AllowedOrigins` sent a " +
            "state-changing request (CSRF protection): judged by `Sec-Fetch-Site`, else `Origin` or `Referer`. Requests without these headers (curl, " +
            "servers) are not from a page and pass."),
        [SessionProblem.ProtectedField] = new("The body would add, change or remove a field under `Session:ProtectedPaths` (by default the top " +
            "member of `Session:UserIdPath`, else `/user`): who the user is is written only by a verified login or by the server, such as a Koa app " +
            "sharing the store. A `PUT` that leaves the field out keeps it, and sending the stored value unchanged is allowed. Nothing changed."),
        [SessionProblem.NotFound] = new("The request carries no valid session: no cookie, a bad signature, or a session that expired or was " +
            "removed. A client that sent a stale cookie gets the clearing pair.", "Set-Cookie.clearing"),
        [SessionProblem.NoUser] = new("`/api/session/all` and `/api/session/others`: the session has no user id at `Session:UserIdPath`, or that " +
            "option is unset (no user index)."),
        [SessionProblem.UserSessionNotFound] = new("`DELETE /api/session/all/{handle}`: no live session of this user has that handle. Also " +
            "`DELETE /api/session/all` with a `handle` query parameter: a handle is a path segment, and a client that sent one meant a single session; " +
            "nothing was signed out."),
        [SessionProblem.RouteNotFound] = new("No resource at that path below `/api`."),
        [SessionProblem.MethodNotAllowed] = new("The path exists, but not with this method; `Allow` lists those it takes."),
        [SessionProblem.RequestTimeout] = new("The body stopped arriving (Kestrel's minimum data rate)."),
        [SessionProblem.Conflict] = new("A concurrent request got in the way; the client's cookies are left alone. A save: the session was removed " +
            "between its read and its write (nothing was saved), or other instances kept changing it for the whole retry budget (1 s; `detail` " +
            "says which). A read: rarely, the stored session had no `cookie` object and was removed before one could be stored. A regenerate: another " +
            "request regenerated or removed the session first, or saves kept changing it while it was copied; nothing changed. A sign-out: the user's " +
            "sessions kept changing (regenerates of listed sessions) through four listings of them, or this session was regenerated or removed meanwhile; " +
            "some may be signed out already, and this session stands. Retry with the cookies the client holds now."),
        [SessionProblem.Unreadable] = new("The store holds a value for the session that is not a JSON object this API can read (not JSON, not an object, " +
            "or nested deeper than 1,000 levels; repeated keys are read as `JSON.parse` reads them, the last one winning). The session exists, perhaps for " +
            "the Koa app: the value and the cookies are left alone, and no new session is started over it. Not retryable until something rewrites it."),
        [SessionProblem.PreconditionFailed] = new("`If-Match` was sent and the session is not the one it names, or there is none (`If-Match: *` " +
            "included); nothing was changed. `ETag`, when sent, names the current one.", "ETag.current"),
        [SessionProblem.BodyTooLarge] = new("The body exceeds `Session:MaxBodyBytes` (64 KiB by default)."),
        [SessionProblem.UnsupportedMediaType] = new("A non-empty body that is not `application/json` (or another `application/*+json`) in " +
            "UTF-8, or that has a `Content-Encoding` such as `gzip`. A `PATCH` takes `application/merge-patch+json` only, and names it in `Accept-Patch`."),
        [SessionProblem.Internal] = new("A bug (e.g. a custom `ISessionIdGenerator` that keeps returning taken ids); the details go to the log, " +
            "never to the client."),
        [SessionProblem.StoreUnavailable] = new("The store stayed unreachable for `Session:ReconnectTimeout` (10 s by default). Nothing changed, no " +
            "cookie is sent; retry after `Retry-After`.", "Retry-After"),
        [SessionProblem.StoreError] = new("The store answered with an error (Redis `OOM`, `READONLY` during a failover, `WRONGTYPE` …), at once, " +
            "without waiting; `detail` names the error's code, the log has the reply.", "Retry-After"),
        [SessionProblem.NotStored] = new("A custom `ISessionErrorHandler` swallowed a failed write: nothing was stored and no cookie changed.",
            "Retry-After"),
    };
}
