using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using static SessionFunctions.Http.SessionProblem;

namespace SessionFunctions.Http;

/// <summary>
/// What the OpenAPI document says about each route, as endpoint metadata: Microsoft.AspNetCore.OpenApi reads the summary,
/// description, tag and responses (status, schema, description); the server's transformers (<c>ServerOpenApi.cs</c>)
/// read the rest: the problem types (<see cref="SessionProblemDocs"/>), the headers of each response and the request body.
/// A route without a case here stays out of the document, and <c>OpenApiTests</c> names it.
/// </summary>
internal static class SessionApiDocumentation
{
    public const string Tag = "session";

    // Response headers, by their ids in the document's components/headers.
    private static readonly string[] NewPair = ["Set-Cookie.pair", "ETag", "Session-Idle-Expires", "Session-Absolute-Expires"];
    private static readonly string[] Refresh = ["Set-Cookie.refresh", "ETag", "Session-Idle-Expires", "Session-Absolute-Expires"];
    private static readonly string[] Cleared = ["Set-Cookie.clearing", "Clear-Site-Data"];

    // The problems of a request whose body is read (its size, encoding, media type, JSON, cookie overrides), and of a failing store.
    private static readonly SessionProblem[] Body = [InvalidJson, BodyNotObject, InvalidCookie, ForbiddenKey, BadRequest, RequestTimeout, BodyTooLarge,
        UnsupportedMediaType, ProtectedField];
    private static readonly SessionProblem[] Store = [Internal, StoreUnavailable, StoreError];

    public static RouteHandlerBuilder Document(this RouteHandlerBuilder endpoint, string routeName) => routeName switch
    {
        "CreateSession" => endpoint.Operation("Create a session", "Starts a new session, under a new id, and sends its cookie pair. The optional body " +
                "holds the initial fields and may hold `cookie` overrides (a longer `maxAge` for \"remember me\", say). A session the request carries is " +
                "deleted once the new one is stored. The new session is stored even when it holds no fields.")
            .Takes("SessionInput", required: false)
            .Answers(201, typeof(Session), "The new session, as stored.", NewPair)
            .Problems([.. Body, CrossSiteRequest, .. Store, NotStored]),

        "GetSession" => endpoint.Operation("Read the session", "Returns the current session: one store read, and no write. With `Session:Rolling` on, " +
                "the same command gives the session a fresh TTL and its cookie pair is re-sent, as koa's `rolling` does. A `.sig` cookie made with an " +
                "older signing key is re-signed with the current one. With `If-None-Match`, an unchanged session answers `304` without a body.")
            .Answers(200, typeof(Session), "The session, as stored.", Refresh)
            .Answers(304, typeof(void), "The session is still the one `If-None-Match` names.", Refresh)
            .Problems([NotFound, Conflict, Unreadable, .. Store, NotStored]),

        "SaveSession" => endpoint.Operation("Save the session", "Replaces the session's fields with the body's (fields left out are removed; use " +
                "`PATCH` to change only some). A body without `cookie` keeps the current cookie options; `cookie` overrides are merged into them. A body " +
                "equal to the stored session writes nothing. Without a valid session it creates one, always under a new id, never the one the client " +
                "sent (unless `If-Match` is sent). A save is never built on a stale value: a concurrent change is re-read and the body applied to it, " +
                "or, with `If-Match`, the answer is `412`.")
            .Takes("SessionInput")
            .Answers(200, typeof(Session), "The session was saved, or was already as sent. Also answered, without cookies, when there is no session and the " +
                "body holds no fields (an empty session is not stored unless `Session:AllowEmpty`).", Refresh)
            .Answers(201, typeof(Session), "There was no valid session: a new one was created, under a new id, holding the body.", NewPair)
            .Problems([.. Body, BodyRequired, CrossSiteRequest, Conflict, PreconditionFailed, Unreadable, .. Store, NotStored]),

        "PatchSession" => endpoint.Operation("Change some fields of the session", "Applies a JSON merge patch (RFC 7396) to the session's fields: " +
                "`null` removes a field, objects merge recursively, anything else replaces; `cookie` overrides are merged as in `PUT`. Atomic even " +
                "without `If-Match`: the patch is applied to the current value and written only if that value is still current, else applied again to " +
                "the newer one, so no other writer's change is lost. A `PATCH` never creates a session.")
            .Takes("SessionPatch", mediaType: SessionRequestBody.MergePatchMediaType)
            .Answers(200, typeof(Session), "The session, patched (or unchanged, if the patch changed nothing).", Refresh)
            .WithMetadata(new SessionResponseHeaders(415, ["Accept-Patch"]))
            .Problems([.. Body, BodyRequired, CrossSiteRequest, NotFound, Conflict, PreconditionFailed, Unreadable, .. Store, NotStored]),

        "RegenerateSession" => endpoint.Operation("Give the session a new id", "Moves the session to a new id and deletes the old key: call it " +
                "after a login or a change of privilege, against session fixation. The new session holds the body if one is sent, else a copy of the " +
                "old data, cookie options included; the protected fields (`Session:ProtectedPaths`) are kept either way and a body cannot change them. " +
                "Unlike koa, the user is never logged out: the old session is deleted only once the new one is stored, and only if it still holds what " +
                "was copied.\n\n**Verified login**: with `Authorization: Bearer <ID token>` (the `idToken` scheme; `Session:Login` configured), the " +
                "token is validated first (signature, issuer, audience, lifetime, algorithm), and the new session's protected fields hold its claims " +
                "(`Session:Login:Claims`, by default `/user/id` from `oid`, else `sub`) and nothing of the previous user's; the user index follows. " +
                "Without a session to regenerate, a new one is created (`201`). A token that does not validate is `401 invalid-token`, and nothing changes.")
            .Takes("SessionInput", required: false)
            .Answers(200, typeof(Session), "The session under its new id, with the new cookie pair.", NewPair)
            .Answers(201, typeof(Session), "A verified login without a session to regenerate: a new session, holding the token's user.", NewPair)
            .Problems([.. Body, InvalidToken, CrossSiteRequest, NotFound, Conflict, PreconditionFailed, Unreadable, .. Store, NotStored]),

        "RemoveSession" => endpoint.Operation("Remove the session (log out)", "Deletes the session with one store command and sends the clearing " +
                "cookie pair. Idempotent: without a session it answers the same (unless `If-Match` is sent). If the store cannot delete it, the answer " +
                "is 503 and the cookies are kept, so the client can retry.")
            .Answers(204, typeof(void), "The session is gone.", Cleared)
            .Problems([BadRequest, CrossSiteRequest, PreconditionFailed, Unreadable, .. Store]),

        "ListUserSessions" => endpoint.Operation("List the user's sessions", "With `Session:UserIdPath` set: every live session of the current session's " +
                "user, the current one first (`current: true`), then by last save. Each has an opaque `handle` (an HMAC of its id, never the id), its " +
                "`created` and `lastSeen` times (ISO-8601 UTC; last seen is its last save or rolling read through this API) and the client `label` set at " +
                "login (the `Session-Client-Label` request header, else the User-Agent, at most 100 characters). Members whose session is gone are pruned.")
            .Answers(200, typeof(UserSessions), "The user's sessions.")
            .Problems([NotFound, NoUser, Unreadable, .. Store]),

        "SignOutEverywhere" => endpoint.Operation("Sign out everywhere",
                "Deletes every session of the current session's user, this one included, and sends the clearing cookie pair.")
            .Answers(204, typeof(void), "The user's sessions are gone.", Cleared)
            .Problems([CrossSiteRequest, NotFound, NoUser, UserSessionNotFound, Conflict, Unreadable, .. Store]),

        "SignOutOthers" => endpoint.Operation("Sign out other devices",
                "Deletes every other session of the current session's user; this one and its cookies stand.")
            .Answers(204, typeof(void), "The user's other sessions are gone.")
            .Problems([CrossSiteRequest, NotFound, NoUser, Conflict, Unreadable, .. Store]),

        "SignOutUserSession" => endpoint.Operation("Sign out one session", "Deletes the session of the current session's user that `handle` (from " +
                "`GET /api/session/all`) names. The current session's own handle signs it out and clears its cookies.")
            .Answers(204, typeof(void), "The session is gone.", Cleared)
            .Problems([CrossSiteRequest, NotFound, NoUser, UserSessionNotFound, Conflict, Unreadable, .. Store]),

        _ => endpoint,
    };

    // Names of the document's schemas, for the response metadata: ServerOpenApiComponents defines them, for JSON that is no C# type.
    private sealed class Session;
    private sealed class UserSessions;

    private static RouteHandlerBuilder Operation(this RouteHandlerBuilder endpoint, string summary, string description) =>
        endpoint.WithTags(Tag).WithSummary(summary).WithDescription(description);

    // Not ASP.NET Core's Accepts(): its metadata makes routing refuse other media types, which the endpoint answers itself (415 problem+json).
    private static RouteHandlerBuilder Takes(this RouteHandlerBuilder endpoint, string schema, bool required = true, string mediaType = "application/json") =>
        endpoint.WithMetadata(new SessionRequestBodyDoc(schema, mediaType, required));

    // The attribute, not Produces(), whose Description ApiExplorer drops (dotnet/aspnetcore#63766).
    private static RouteHandlerBuilder Answers(this RouteHandlerBuilder endpoint, int status, Type body, string description, params string[] headers) =>
        endpoint.WithMetadata(new ProducesResponseTypeAttribute(body, status) { Description = description }, new SessionResponseHeaders(status, headers));

    /// <summary>A problem response per status, and the problem types themselves for the transformer to list.</summary>
    private static RouteHandlerBuilder Problems(this RouteHandlerBuilder endpoint, params SessionProblem[] problems)
    {
        foreach (var status in problems.Select(p => p.Status).Distinct().Order())
            endpoint.WithMetadata(new ProducesResponseTypeAttribute(typeof(ProblemDetails), status, "application/problem+json"));
        return endpoint.WithMetadata([.. problems]);
    }
}

/// <summary>Endpoint metadata: the request body, by its schema's name in the document's <c>components/schemas</c>.</summary>
internal sealed record SessionRequestBodyDoc(string Schema, string MediaType, bool Required);

/// <summary>Endpoint metadata: the headers a response of <paramref name="Status"/> may carry, by their ids in <c>components/headers</c>.</summary>
internal sealed record SessionResponseHeaders(int Status, IReadOnlyList<string> Ids);
