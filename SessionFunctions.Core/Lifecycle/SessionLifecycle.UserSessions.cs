using Microsoft.AspNetCore.Http;
using SessionFunctions.UserIndex;

namespace SessionFunctions.Lifecycle;

/// <summary>
/// The user's sessions (<c>Session:UserIdPath</c>): listed and signed out by the user index
/// (<see cref="IUserSessionIndex"/>, where "sign out other devices" reads from top to bottom). The lifecycle lends it
/// the request's session, loaded as every operation loads it, and sends the clearing cookies when it signed that one out.
/// </summary>
internal sealed partial class SessionLifecycle
{
    /// <summary><c>GET /api/session/all</c>: the current user's live sessions, the current one first, then by last save.</summary>
    public async Task<SessionOutcome> ListUserSessionsAsync(HttpContext http) =>
        Outcome(http, await index.ListAsync(http, () => CurrentAsync(http)));

    /// <summary><c>DELETE /api/session/all</c> (sign out everywhere, this session included) and <c>DELETE /api/session/others</c>.</summary>
    public async Task<SessionOutcome> SignOutUserAsync(HttpContext http, bool includingCurrent) =>
        Outcome(http, await index.SignOutAsync(http, () => CurrentAsync(http), includingCurrent));

    /// <summary><c>DELETE /api/session/all/{handle}</c>: one of the current user's sessions; this one clears the cookies too.</summary>
    public async Task<SessionOutcome> SignOutHandleAsync(HttpContext http, string handle) =>
        Outcome(http, await index.SignOutHandleAsync(http, () => CurrentAsync(http), handle));

    /// <summary>The request's session, read from the store (never recalled: a sign-out must see what is stored).</summary>
    private async Task<CurrentSession?> CurrentAsync(HttpContext http) =>
        await ReadAsync(http) is { } session ? new CurrentSession(session.Id, session.ToStored()) : null;

    private SessionOutcome Outcome(HttpContext http, UserSessionsOutcome outcome)
    {
        switch (outcome.Kind)
        {
            case UserSessionsOutcomeKind.List:
                return SessionOutcome.List(outcome.Sessions!);
            case UserSessionsOutcomeKind.SignedOut:
                return SessionOutcome.SignedOut;
            case UserSessionsOutcomeKind.SignedOutHere:
                // The request's own session is deleted: the clearing cookies, as DELETE /api/session sends them.
                ids.Reset(http, _defaultCookie);
                metrics.Removed();
                return SessionOutcome.Removed;
            case UserSessionsOutcomeKind.NoSession:
                return SessionOutcome.NotFound;
            case UserSessionsOutcomeKind.NoUser:
                return SessionOutcome.NoUser(outcome.Detail!);
            case UserSessionsOutcomeKind.HandleNotFound:
                return SessionOutcome.HandleNotFound;
            default:
                return SessionOutcome.Conflict(outcome.Detail!);
        }
    }
}
