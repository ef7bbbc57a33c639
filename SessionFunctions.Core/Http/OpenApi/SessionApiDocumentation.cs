using Microsoft.AspNetCore.Http;

namespace SessionFunctions.Http;

/// <summary>
/// What the OpenAPI contract says about each route of <see cref="SessionEndpoints.Routes"/>, keyed by the route's
/// <see cref="SessionRoute.Name"/>: one row per operation. The standalone server turns these rows into the document it
/// serves at <c>/openapi/v1.json</c> (<c>SessionFunctions.Server/ServerOpenApi.cs</c>); the committed copy,
/// <c>openapi/session-api.json</c>, must equal it (<c>OpenApiTests</c>).
/// </summary>
/// <remarks>
/// Plain data, with no OpenAPI package, so that Core stays as the Functions app compiles it. To document a new route,
/// add its row to <see cref="Operations"/>; to document a new header, use or add one in <see cref="SessionHeaderDocs"/>
/// and name it in the rows that send or take it (request headers become header parameters);
/// a new problem type gets its entry in <see cref="SessionProblemDocs"/>. Then run the tests with
/// <c>UPDATE_OPENAPI=1</c> to rewrite the committed copy.
/// </remarks>
internal static class SessionApiDocumentation
{
    /// <summary>The problems of a request whose body is read: its size, encoding, media type, JSON and cookie overrides.</summary>
    private static readonly SessionProblemUse[] BodyProblems =
    [
        new(SessionProblem.InvalidJson),
        new(SessionProblem.BodyNotObject),
        new(SessionProblem.InvalidCookie),
        new(SessionProblem.BadRequest),
        new(SessionProblem.RequestTimeout),
        new(SessionProblem.BodyTooLarge),
        new(SessionProblem.UnsupportedMediaType),
        new(SessionProblem.ProtectedField),
    ];

    /// <summary>What any operation that reaches the store can answer when it fails.</summary>
    private static readonly SessionProblemUse[] StoreProblems =
    [
        new(SessionProblem.Internal),
        new(SessionProblem.StoreUnavailable),
        new(SessionProblem.StoreError),
    ];

    private static readonly SessionProblemUse CrossSite = new(SessionProblem.CrossSiteRequest);

    /// <summary>Any operation that reads the session: the store holds a value for it that cannot be read as one.</summary>
    private static readonly SessionProblemUse Unreadable = new(SessionProblem.Unreadable);
    private static readonly SessionProblemUse NotStored = new(SessionProblem.NotStored);

    private static readonly SessionExampleDoc Fields = new("fields", "The session's fields", """{"count":1,"theme":"dark"}""");
    private static readonly SessionExampleDoc RememberMe = new("rememberMe", "\"Remember me\": a 30-day cookie and TTL",
        """{"count":1,"theme":"dark","cookie":{"maxAge":2592000000}}""");
    private static readonly SessionExampleDoc CrossSiteCookie = new("crossSite", "For a SPA on another site (HTTPS only)",
        """{"count":1,"cookie":{"sameSite":"none","secure":true,"partitioned":true}}""");
    private static readonly SessionExampleDoc BrowserSession = new("browserSession",
        "A browser-session cookie (no expiry; the store keeps it for Session:FallbackTtl)",
        """{"count":1,"cookie":{"maxAge":null}}""");
    private static readonly SessionExampleDoc Login = new("login", "After a change of privilege: the new session's fields", """{"cart":[],"step":"checkout"}""");

    private const string StoredSession = """{"cookie":{"httpOnly":true,"path":"/","overwrite":true,"signed":true,"maxAge":86400000},"count":1,"theme":"dark","user":{"id":"ada"}}""";
    private static readonly SessionExampleDoc Stored = new("session", "A session with default cookie options", StoredSession);

    private static readonly SessionExampleDoc Merge = new("merge", "Set one field and remove another", """{"theme":"dark","draft":null}""");
    private static readonly SessionExampleDoc MergeRememberMe = new("rememberMe", "\"Remember me\" without touching the fields",
        """{"cookie":{"maxAge":2592000000}}""");

    private static readonly SessionProblemUse SessionNotFound = new(SessionProblem.NotFound, Headers: [SessionHeaderDocs.SetCookieClearing],
        When: "The request carries no valid session. A client that sent a stale cookie gets the clearing pair.");
    private static readonly SessionProblemUse NoUser = new(SessionProblem.NoUser);
    private static readonly SessionProblemUse UserSessionsChanging = new(SessionProblem.Conflict,
        When: "The user's sessions kept changing (new logins or regenerates) through four listings of them, or, for the "
            + "others, this session was regenerated or removed by another request meanwhile. Some may be signed out already; "
            + "this session stands. Retry, with the cookies the client holds now.",
        ExampleDetail: "The user's sessions kept changing (new logins or regenerates) during the sign-out; some may be signed out already. Retry.");

    private static readonly SessionExampleDoc UserSessionList = new("sessions", "Signed in on two devices", """
        {"sessions":[{"handle":"Lx0mR3m8b2Yt1cK1m6a0QwS9v2E","current":true,"created":"2025-06-01T09:00:00.000Z","lastSeen":"2025-06-02T17:30:12.345Z","label":"Laptop"},{"handle":"q3B8d1kVz0cY7pLr2tM5wXn4sAa","current":false,"created":"2025-05-28T07:12:00.000Z","lastSeen":"2025-06-01T21:03:44.010Z","label":"Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X)"}]}
        """);

    private static readonly SessionProblemUse PreconditionFailed = new(SessionProblem.PreconditionFailed, Headers: [SessionHeaderDocs.ETagCurrent]);

    /// <summary>The rows, in the order of <see cref="SessionEndpoints.Routes"/>.</summary>
    public static IReadOnlyList<SessionOperationDoc> Operations { get; } =
    [
        new("CreateSession", "Create a session",
            "Starts a new session, under a new id, and sends its cookie pair. The optional body holds the initial fields and may hold `cookie` " +
            "overrides (a longer `maxAge` for \"remember me\", say). A session the request carries is deleted once the new one is stored. " +
            "The new session is stored even when it holds no fields.",
            new SessionBodyDoc(Required: false, "The initial fields, and optionally `cookie` overrides. Without a body the session holds no fields.",
                [Fields, RememberMe, CrossSiteCookie]),
            [
                new(StatusCodes.Status201Created, "The new session, as stored.", SessionResponseBody.Session,
                    [SessionHeaderDocs.SetCookiePair, SessionHeaderDocs.ETag, SessionHeaderDocs.IdleExpires, SessionHeaderDocs.AbsoluteExpires], [Stored]),
            ],
            [.. BodyProblems, CrossSite, .. StoreProblems, NotStored]),

        new("GetSession", "Read the session",
            "Returns the current session: one store read, and no write. With `Session:Rolling` on, the same command gives the session a fresh " +
            "TTL and its cookie pair is re-sent, as koa's `rolling` does. A `.sig` cookie made with an older signing key is re-signed with the " +
            "current one. With `If-None-Match`, an unchanged session answers `304` without a body.",
            null,
            [
                new(StatusCodes.Status200OK, "The session, as stored.", SessionResponseBody.Session,
                    [SessionHeaderDocs.SetCookieRefresh, SessionHeaderDocs.ETag, SessionHeaderDocs.IdleExpires, SessionHeaderDocs.AbsoluteExpires], [Stored]),
                new(StatusCodes.Status304NotModified, "The session is still the one `If-None-Match` names.", SessionResponseBody.None,
                    [SessionHeaderDocs.SetCookieRefresh, SessionHeaderDocs.ETag, SessionHeaderDocs.IdleExpires, SessionHeaderDocs.AbsoluteExpires], []),
            ],
            [
                new(SessionProblem.NotFound, Headers: [SessionHeaderDocs.SetCookieClearing],
                    When: "The request carries no valid session: no cookie, a bad signature, or a session that expired or was removed. " +
                        "A client that sent a stale cookie gets the clearing pair."),
                new(SessionProblem.Conflict,
                    When: "Rare: the stored session had no `cookie` object, and a concurrent request removed it before this read could store one.",
                    ExampleDetail: "The session was removed between this save's read and its write; nothing was saved."),
                Unreadable, .. StoreProblems,
                NotStored,
            ],
            [SessionHeaderDocs.IfNoneMatch]),

        new("SaveSession", "Save the session",
            "Replaces the session's fields with the body's (fields left out are removed; use `PATCH` to change only some). A body without " +
            "`cookie` keeps the current cookie options; `cookie` overrides are merged into them. A body equal to the stored session writes " +
            "nothing. Without a valid session it creates one, always under a new id, never the one the client sent (unless `If-Match` is " +
            "sent). A save is never built on a stale value: a concurrent change is re-read and the body applied to it, or, with `If-Match`, " +
            "the answer is `412`.",
            new SessionBodyDoc(Required: true, "The session's new fields, and optionally `cookie` overrides.", [Fields, RememberMe, BrowserSession]),
            [
                new(StatusCodes.Status200OK,
                    "The session was saved, or was already as sent. Also answered, without cookies, when there is no session and the body " +
                    "holds no fields (an empty session is not stored unless `Session:AllowEmpty`).",
                    SessionResponseBody.Session, [SessionHeaderDocs.SetCookieRefresh, SessionHeaderDocs.ETag, SessionHeaderDocs.IdleExpires, SessionHeaderDocs.AbsoluteExpires], [Stored]),
                new(StatusCodes.Status201Created, "There was no valid session: a new one was created, under a new id, holding the body.",
                    SessionResponseBody.Session, [SessionHeaderDocs.SetCookiePair, SessionHeaderDocs.ETag, SessionHeaderDocs.IdleExpires, SessionHeaderDocs.AbsoluteExpires], [Stored]),
            ],
            [
                .. BodyProblems,
                new(SessionProblem.BodyRequired),
                CrossSite,
                new(SessionProblem.Conflict),
                PreconditionFailed,
                Unreadable, .. StoreProblems,
                NotStored,
            ],
            [SessionHeaderDocs.IfMatch]),

        new("PatchSession", "Change some fields of the session",
            "Applies a JSON merge patch (RFC 7396) to the session's fields: `null` removes a field, objects merge recursively, anything else " +
            "replaces; `cookie` overrides are merged as in `PUT`. Atomic even without `If-Match`: the patch is applied to the current value and " +
            "written only if that value is still current, else applied again to the newer one, so no other writer's change is lost.",
            new SessionBodyDoc(Required: true, "The merge patch.", [Merge, MergeRememberMe],
                MediaType: SessionRequestBody.MergePatchMediaType, Schema: "SessionPatch"),
            [
                new(StatusCodes.Status200OK, "The session, patched (or unchanged, if the patch changed nothing).", SessionResponseBody.Session,
                    [SessionHeaderDocs.SetCookieRefresh, SessionHeaderDocs.ETag, SessionHeaderDocs.IdleExpires, SessionHeaderDocs.AbsoluteExpires], [Stored]),
            ],
            [
                .. BodyProblems.Where(p => p.Problem != SessionProblem.UnsupportedMediaType),
                new(SessionProblem.BodyRequired),
                CrossSite,
                new(SessionProblem.NotFound, Headers: [SessionHeaderDocs.SetCookieClearing],
                    When: "The request carries no valid session to patch (a `PATCH` never creates one). A client that sent a stale cookie gets " +
                        "the clearing pair."),
                new(SessionProblem.Conflict),
                PreconditionFailed,
                new(SessionProblem.UnsupportedMediaType, Headers: [SessionHeaderDocs.AcceptPatch],
                    When: "A body that is not `application/merge-patch+json` in UTF-8 (the answer then carries `Accept-Patch`), or that has a " +
                        "`Content-Encoding` such as `gzip`.",
                    ExampleDetail: "Content-Type 'application/json' is not application/merge-patch+json (UTF-8)."),
                Unreadable, .. StoreProblems,
                NotStored,
            ],
            [SessionHeaderDocs.IfMatch]),

        new("RegenerateSession", "Give the session a new id",
            "Moves the session to a new id and deletes the old key: call it after a login or a change of privilege, against session fixation. " +
            "The new session holds the body if one is sent, else a copy of the old data, cookie options included; the protected fields " +
            "(`Session:ProtectedPaths`) are kept either way and a body cannot change them. Unlike koa, the user is never logged out: the old " +
            "session is deleted only once the new one is stored, and only if it still holds what was copied.\n\n" +
            "**Verified login**: with `Authorization: Bearer <ID token>` (the `idToken` scheme; `Session:Login` configured), the token is " +
            "validated first (signature, issuer, audience, lifetime, algorithm), and the new session's protected fields hold its claims " +
            "(`Session:Login:Claims`, by default `/user/id` from `oid`, else `sub`) and nothing of the previous user's; the user index follows. " +
            "Without a session to regenerate, a new one is created (`201`). A token that does not validate is `401 invalid-token`, and nothing changes.",
            new SessionBodyDoc(Required: false,
                "The new session's fields, and optionally `cookie` overrides. Without a body the old session's data is copied.", [Login, RememberMe]),
            [
                new(StatusCodes.Status200OK, "The session under its new id, with the new cookie pair.", SessionResponseBody.Session,
                    [SessionHeaderDocs.SetCookiePair, SessionHeaderDocs.ETag, SessionHeaderDocs.IdleExpires, SessionHeaderDocs.AbsoluteExpires], [Stored]),
                new(StatusCodes.Status201Created, "A verified login without a session to regenerate: a new session, holding the token's user.",
                    SessionResponseBody.Session,
                    [SessionHeaderDocs.SetCookiePair, SessionHeaderDocs.ETag, SessionHeaderDocs.IdleExpires, SessionHeaderDocs.AbsoluteExpires], [Stored]),
            ],
            [
                .. BodyProblems,
                new(SessionProblem.InvalidToken),
                CrossSite,
                new(SessionProblem.NotFound, Headers: [SessionHeaderDocs.SetCookieClearing],
                    When: "The request carries no valid session to regenerate. A client that sent a stale cookie gets the clearing pair."),
                new(SessionProblem.Conflict,
                    When: "A concurrent request regenerated or removed this session first (its cookies stand, and this request changed nothing), " +
                        "or saves kept changing it while it was copied.",
                    ExampleDetail: "The session was regenerated or removed by a concurrent request; this request changed nothing."),
                PreconditionFailed,
                Unreadable, .. StoreProblems,
                NotStored,
            ],
            [SessionHeaderDocs.IfMatch],
            BearerLogin: true),

        new("RemoveSession", "Remove the session (log out)",
            "Deletes the session with one store command and sends the clearing cookie pair. Idempotent: without a session it answers the same " +
            "(unless `If-Match` is sent). If the store cannot delete it, the answer is 503 and the cookies are kept, so the client can retry.",
            null,
            [
                new(StatusCodes.Status204NoContent, "The session is gone.", SessionResponseBody.None,
                    [SessionHeaderDocs.SetCookieClearing, SessionHeaderDocs.ClearSiteData], []),
            ],
            [new(SessionProblem.BadRequest), CrossSite, PreconditionFailed, Unreadable, .. StoreProblems],
            [SessionHeaderDocs.IfMatch]),

        new("ListUserSessions", "List the user's sessions",
            "With `Session:UserIdPath` set: every live session of the current session's user, the current one first (`current: true`), then " +
            "by last save. Each has an opaque `handle` (an HMAC of its id, never the id), its `created` and `lastSeen` times (ISO-8601 UTC; " +
            "last seen is its last save or rolling read through this API) and the client `label` set at login (the `Session-Client-Label` " +
            "request header, else the User-Agent, at most 100 characters). Members whose session is gone are pruned.",
            null,
            [new(StatusCodes.Status200OK, "The user's sessions.", SessionResponseBody.SessionList, [], [UserSessionList])],
            [SessionNotFound, NoUser, Unreadable, .. StoreProblems]),

        new("SignOutEverywhere", "Sign out everywhere",
            "Deletes every session of the current session's user, this one included, and sends the clearing cookie pair.",
            null,
            [new(StatusCodes.Status204NoContent, "The user's sessions are gone.", SessionResponseBody.None,
                [SessionHeaderDocs.SetCookieClearing, SessionHeaderDocs.ClearSiteData], [])],
            [
                CrossSite,
                SessionNotFound,
                NoUser,
                new(SessionProblem.UserSessionNotFound,
                    When: "A `handle` query parameter: a handle is a path segment (`DELETE /api/session/all/{handle}`), and a client that sent " +
                        "one meant a single session; nothing was signed out.",
                    ExampleDetail: "The handle is a path segment: DELETE /api/session/all/{handle}."),
                UserSessionsChanging,
                Unreadable,
                .. StoreProblems,
            ]),

        new("SignOutOthers", "Sign out other devices",
            "Deletes every other session of the current session's user; this one and its cookies stand.",
            null,
            [new(StatusCodes.Status204NoContent, "The user's other sessions are gone.", SessionResponseBody.None, [], [])],
            [CrossSite, SessionNotFound, NoUser, UserSessionsChanging, Unreadable, .. StoreProblems]),

        new("SignOutUserSession", "Sign out one session",
            "Deletes the session of the current session's user that `handle` (from `GET /api/session/all`) names. The current session's own " +
            "handle signs it out and clears its cookies.",
            null,
            [new(StatusCodes.Status204NoContent, "The session is gone.", SessionResponseBody.None,
                [SessionHeaderDocs.SetCookieClearing, SessionHeaderDocs.ClearSiteData], [])],
            [CrossSite, SessionNotFound, NoUser, new(SessionProblem.UserSessionNotFound), UserSessionsChanging, Unreadable, .. StoreProblems]),
    ];

    /// <summary>The row of the route named <paramref name="routeName"/>, or null when it has none (<c>OpenApiTests</c> fails then).</summary>
    public static SessionOperationDoc? For(string routeName) => Operations.SingleOrDefault(o => o.RouteName == routeName);
}

/// <summary>How an operation is documented: the row of one route.</summary>
/// <param name="RouteName">The <see cref="SessionRoute.Name"/> it documents; also the <c>operationId</c>.</param>
/// <param name="Summary">A short title.</param>
/// <param name="Description">What it does (CommonMark).</param>
/// <param name="RequestBody">The body it takes; null for none.</param>
/// <param name="Successes">Its 1xx–3xx answers.</param>
/// <param name="Problems">Every problem type it can answer; responses are grouped by status.</param>
/// <param name="RequestHeaders">Headers it reads (e.g. <c>If-Match</c>), documented as header parameters.</param>
/// <param name="BearerLogin">Whether it takes an ID token (<c>Authorization: Bearer</c>): the verified login.</param>
internal sealed record SessionOperationDoc(
    string RouteName,
    string Summary,
    string Description,
    SessionBodyDoc? RequestBody,
    IReadOnlyList<SessionSuccessDoc> Successes,
    IReadOnlyList<SessionProblemUse> Problems,
    IReadOnlyList<SessionHeaderDoc>? RequestHeaders = null,
    bool BearerLogin = false);

/// <summary>A request body.</summary>
/// <param name="Required">Whether a request without one is refused.</param>
/// <param name="Description">What it holds.</param>
/// <param name="Examples">Examples, valid against <paramref name="Schema"/>.</param>
/// <param name="MediaType">Its media type.</param>
/// <param name="Schema">The name of its schema in the document's components (<c>ServerOpenApi</c> defines them).</param>
internal sealed record SessionBodyDoc(
    bool Required,
    string Description,
    IReadOnlyList<SessionExampleDoc> Examples,
    string MediaType = "application/json",
    string Schema = "SessionInput");

/// <summary>What a successful response carries.</summary>
internal enum SessionResponseBody
{
    /// <summary>No body (204, 304).</summary>
    None,

    /// <summary>The session as JSON.</summary>
    Session,

    /// <summary>The user's sessions: <c>{"sessions":[…]}</c>.</summary>
    SessionList,
}

/// <summary>A successful response.</summary>
/// <param name="Status">Its status code.</param>
/// <param name="Description">When it is answered.</param>
/// <param name="Body">What it carries.</param>
/// <param name="Headers">Headers it may carry besides <c>Cache-Control</c>, which every response has.</param>
/// <param name="Examples">Examples of its body.</param>
internal sealed record SessionSuccessDoc(
    int Status, string Description, SessionResponseBody Body, IReadOnlyList<SessionHeaderDoc> Headers, IReadOnlyList<SessionExampleDoc> Examples);

/// <summary>A problem type one operation can answer.</summary>
/// <param name="Problem">The problem.</param>
/// <param name="When">When this operation answers it, if it says more than <see cref="SessionProblemDocs"/> does.</param>
/// <param name="ExampleDetail">An example <c>detail</c>, if this operation's differs from the usual one.</param>
/// <param name="Headers">Headers it carries besides those of <see cref="SessionProblemDocs"/> (e.g. the clearing pair of a 404).</param>
internal sealed record SessionProblemUse(
    SessionProblem Problem, string? When = null, string? ExampleDetail = null, IReadOnlyList<SessionHeaderDoc>? Headers = null);

/// <summary>A named example value, as JSON text.</summary>
internal sealed record SessionExampleDoc(string Name, string Summary, string Json);
