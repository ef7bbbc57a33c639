namespace SessionFunctions.UserIndex;

/// <summary>How a listing or a sign-out of the user's sessions ended; the lifecycle turns it into its outcome.</summary>
internal enum UserSessionsOutcomeKind
{
    /// <summary>The user's sessions (200), in <see cref="UserSessionsOutcome.Sessions"/>.</summary>
    List,

    /// <summary>Other sessions of the user were signed out; the request's own session and its cookies stand (204).</summary>
    SignedOut,

    /// <summary>The request's own session was signed out too, and deleted: the lifecycle sends the clearing cookies (204).</summary>
    SignedOutHere,

    /// <summary>The request has no session (404).</summary>
    NoSession,

    /// <summary>The session has no user id, or the index is off; <see cref="UserSessionsOutcome.Detail"/> says which (404).</summary>
    NoUser,

    /// <summary>No session of the user has that handle (404).</summary>
    HandleNotFound,

    /// <summary>The user's sessions kept changing; <see cref="UserSessionsOutcome.Detail"/> says how, and the client retries (409).</summary>
    Conflict,
}

/// <summary>The result of a listing or a sign-out (<see cref="IUserSessionIndex"/>).</summary>
internal sealed record UserSessionsOutcome(UserSessionsOutcomeKind Kind, IReadOnlyList<UserSessionView>? Sessions = null, string? Detail = null)
{
    public static readonly UserSessionsOutcome SignedOut = new(UserSessionsOutcomeKind.SignedOut);
    public static readonly UserSessionsOutcome SignedOutHere = new(UserSessionsOutcomeKind.SignedOutHere);
    public static readonly UserSessionsOutcome NoSession = new(UserSessionsOutcomeKind.NoSession);
    public static readonly UserSessionsOutcome HandleNotFound = new(UserSessionsOutcomeKind.HandleNotFound);

    public static UserSessionsOutcome List(IReadOnlyList<UserSessionView> sessions) => new(UserSessionsOutcomeKind.List, sessions);

    public static UserSessionsOutcome NoUser(string detail) => new(UserSessionsOutcomeKind.NoUser, Detail: detail);

    public static UserSessionsOutcome Conflict(string detail) => new(UserSessionsOutcomeKind.Conflict, Detail: detail);
}
