using System.Reflection;

namespace SessionFunctions.Http;

/// <summary>What the contract says about a problem type wherever it is answered.</summary>
/// <param name="When">When the API answers it (CommonMark), as the README's Errors table says.</param>
/// <param name="ExampleDetail">A typical <c>detail</c>, or null when the problem has none.</param>
/// <param name="Headers">Headers every response of this problem carries.</param>
internal sealed record SessionProblemDoc(string When, string? ExampleDetail = null, IReadOnlyList<SessionHeaderDoc>? Headers = null);

/// <summary>
/// Every <see cref="SessionProblem"/> and what the contract says about it. <c>OpenApiTests</c> fails when a problem
/// type has no entry here, so a new one cannot reach clients undocumented.
/// </summary>
internal static class SessionProblemDocs
{
    /// <summary>Every problem type, in declaration order (by status): the enum of the document's <c>ProblemType</c>.</summary>
    public static IReadOnlyList<SessionProblem> All { get; } =
    [
        .. typeof(SessionProblem).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(SessionProblem))
            .OrderBy(f => f.MetadataToken) // declaration order, which reflection does not promise
            .Select(f => (SessionProblem)f.GetValue(null)!)
            .OrderBy(p => p.Status),
    ];

    private static readonly Dictionary<string, SessionProblemDoc> Entries = new()
    {
        ["invalid-json"] = new(
            "The body is not valid JSON or not valid UTF-8, repeats a property, nests deeper than 64 levels, or holds a lone UTF-16 " +
            "surrogate escape (`\"\\ud800\"`).",
            "'}' is an invalid start of a value. Path: $.count | LineNumber: 0 | BytePositionInLine: 9."),
        ["body-not-object"] = new("The body is JSON but not an object."),
        ["body-required"] = new("A `PUT` or `PATCH` without a body.", "Send the session's fields as a JSON object, e.g. {\"count\":1}."),
        ["invalid-cookie"] = new(
            "Invalid `cookie` overrides (see `CookieOverrides`): an unknown option, a value out of range, a change to `httpOnly`, `path`, `domain`, " +
            "`signed` or `overwrite`, `sameSite: none` without a secure cookie, or `secure: true` over plain HTTP.",
            "'maxAge' must not exceed 400 days (34560000000 ms)."),
        ["bad-request"] = new("A malformed HTTP request that reaches the app (a body that ends before its `Content-Length`, say), an `If-Match` " +
            "sent empty, or `If-None-Match` on a write (it is supported on `GET` and `HEAD` only).",
            "Unexpected end of request content."),
        ["invalid-token"] = new(
            "`POST /api/session/regenerate` with `Authorization: Bearer`: the token is not an ID token this API accepts (`Session:Login`): " +
            "malformed, signed with an unknown key or a refused algorithm (never `none`), expired or not yet valid, from another issuer or for " +
            "another audience, or without the user id claim; or no verified login is configured. Nothing changed.",
            "The token is expired.", [SessionHeaderDocs.WwwAuthenticate]),
        ["protected-field"] = new(
            "The body would add, change or remove a field under `Session:ProtectedPaths` (by default the top member of `Session:UserIdPath`, " +
            "else `/user`): who the user is is written only by a verified login or by the server, such as a Koa app sharing the store. A `PUT` " +
            "that leaves the field out keeps it, and sending the stored value unchanged is allowed. Nothing changed.",
            "/user is protected (Session:ProtectedPaths): a client cannot add, change or remove it; a verified login sets it."),
        ["cross-site-request"] = new(
            "A browser page on an origin that is neither the API's own nor in `Cors:AllowedOrigins` sent a state-changing request (CSRF protection): " +
            "judged by `Sec-Fetch-Site`, else `Origin` or `Referer`. Requests without these headers (curl, servers) are not from a page and pass.",
            "A cross-site request from https://evil.example is not allowed to change the session; add the SPA's origin to Cors:AllowedOrigins."),
        ["session-not-found"] = new("The request carries no valid session."),
        ["no-user"] = new(
            "`/api/session/all` and `/api/session/others`: the session has no user id at `Session:UserIdPath`, or that option is unset (no user index).",
            "The session has no user id at /user/id."),
        ["user-session-not-found"] = new("`DELETE /api/session/all/{handle}`: no live session of this user has that handle."),
        ["not-found"] = new("No resource at that path below `/api`.", "No resource at /api/sessions."),
        ["method-not-allowed"] = new("The path exists, but not with this method; `Allow` lists those it takes.",
            "TRACE is not supported here; use POST, GET, PUT, DELETE.", [SessionHeaderDocs.Allow]),
        ["request-timeout"] = new("The body stopped arriving (Kestrel's minimum data rate).",
            "Reading the request body timed out due to data arriving too slowly. See MinRequestBodyDataRate."),
        ["session-conflict"] = new(
            "The session was removed by a concurrent request between this save's read and its write (nothing was saved), or other writers changed " +
            "its cookie options during three attempts in a row of this save (`detail` says which). The client's cookies are left alone.",
            "The session was removed between this save's read and its write; nothing was saved."),
        ["session-unreadable"] = new(
            "The store holds a value for the session that is not a JSON object this API can read (not JSON, not an object, or nested deeper " +
            "than 1,000 levels; repeated keys are read as `JSON.parse` reads them, the last one winning). The session exists, perhaps for the " +
            "Koa app: the value and the cookies are left alone, and no new session is started over it. Not retryable until something rewrites it."),
        ["precondition-failed"] = new(
            "`If-Match` was sent and the session is not the one it names, or there is none (`If-Match: *` included); nothing was changed. " +
            "`ETag`, when sent, names the current one.",
            "The session changed since the client read it: read it again (ETag names the current one), then retry."),
        ["body-too-large"] = new("The body exceeds `Session:MaxBodyBytes` (64 KiB by default).", "The body exceeds 65536 bytes (Session:MaxBodyBytes)."),
        ["unsupported-media-type"] = new(
            "A non-empty body that is not `application/json` (or another `application/*+json`) in UTF-8, or that has a `Content-Encoding` " +
            "such as `gzip`.",
            "Content-Type 'text/plain' is not application/json."),
        ["internal-error"] = new("A bug (e.g. a custom `ISessionIdGenerator` that keeps returning taken ids); the details go to the log, never to the client."),
        ["store-unavailable"] = new(
            "The store stayed unreachable for `Session:ReconnectTimeout` (10 s by default). Nothing changed, no cookie is sent; retry after `Retry-After`.",
            Headers: [SessionHeaderDocs.RetryAfter]),
        ["store-error"] = new(
            "The store answered with an error (Redis `OOM`, `READONLY` during a failover, `WRONGTYPE` …), at once, without waiting; `detail` names " +
            "the error's code, the log has the reply.",
            "The store answered OOM.", [SessionHeaderDocs.RetryAfter]),
        ["session-not-stored"] = new(
            "A custom `ISessionErrorHandler` swallowed a failed write: nothing was stored and no cookie changed.",
            Headers: [SessionHeaderDocs.RetryAfter]),
    };

    /// <summary>The entry of <paramref name="problem"/>, or null when it has none (<c>OpenApiTests</c> fails then).</summary>
    public static SessionProblemDoc? For(SessionProblem problem) => Entries.GetValueOrDefault(problem.Name);
}
