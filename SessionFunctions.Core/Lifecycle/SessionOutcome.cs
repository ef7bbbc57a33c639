using SessionFunctions.UserIndex;

namespace SessionFunctions.Lifecycle;

/// <summary>How an operation of the <see cref="SessionLifecycle"/> ended; the HTTP layer turns it into a status.</summary>
internal enum SessionOutcomeKind
{
    /// <summary>A new session was stored (201).</summary>
    Created,

    /// <summary>The session was read or saved (200).</summary>
    Ok,

    /// <summary>The session is gone (204).</summary>
    Removed,

    /// <summary>The client's copy is current (<c>If-None-Match</c>): 304, no body.</summary>
    NotModified,

    /// <summary>
    /// <c>If-Match</c> named another value, or a session that is gone: nothing changed (412). <see cref="SessionOutcome.CurrentHash"/>
    /// is the current session's, if there is one.
    /// </summary>
    PreconditionFailed,

    /// <summary>The request has no session (404).</summary>
    NotFound,

    /// <summary>The store failed and the error handler chose to go on: nothing was stored, no cookie changed (503).</summary>
    NotStored,

    /// <summary>A concurrent request changed or removed the session; <see cref="SessionOutcome.Detail"/> says how (409).</summary>
    Conflict,

    /// <summary>The user's sessions (200), in <see cref="SessionOutcome.Sessions"/>.</summary>
    List,

    /// <summary>Other sessions of the user were signed out; this one and its cookies stand (204).</summary>
    SignedOut,

    /// <summary>The session has no user id, or the user index is off; <see cref="SessionOutcome.Detail"/> says which (404).</summary>
    NoUser,

    /// <summary>No session of the user has that handle (404).</summary>
    HandleNotFound,
}

/// <summary>The result of one operation: its kind, the session it ends with, and for a conflict, why.</summary>
internal sealed record SessionOutcome(
    SessionOutcomeKind Kind, Session? Session = null, string? Detail = null, string? CurrentHash = null, IReadOnlyList<UserSessionView>? Sessions = null)
{
    public static readonly SessionOutcome Removed = new(SessionOutcomeKind.Removed);
    public static readonly SessionOutcome NotFound = new(SessionOutcomeKind.NotFound);
    public static readonly SessionOutcome NotStored = new(SessionOutcomeKind.NotStored);
    public static readonly SessionOutcome SignedOut = new(SessionOutcomeKind.SignedOut);
    public static readonly SessionOutcome HandleNotFound = new(SessionOutcomeKind.HandleNotFound);

    public static SessionOutcome List(IReadOnlyList<UserSessionView> sessions) => new(SessionOutcomeKind.List, Sessions: sessions);

    public static SessionOutcome NoUser(string detail) => new(SessionOutcomeKind.NoUser, Detail: detail);

    public static SessionOutcome Created(Session session) => new(SessionOutcomeKind.Created, session);

    public static SessionOutcome Ok(Session session) => new(SessionOutcomeKind.Ok, session);

    public static SessionOutcome Conflict(string detail) => new(SessionOutcomeKind.Conflict, Detail: detail);

    public static SessionOutcome NotModified(Session session) => new(SessionOutcomeKind.NotModified, session);

    public static SessionOutcome PreconditionFailed(string? currentHash) => new(SessionOutcomeKind.PreconditionFailed, CurrentHash: currentHash);
}
