using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SessionFunctions.UserIndex;

/// <summary>
/// The user index (<c>Session:UserIdPath</c>) as the lifecycle sees it: three hooks around its store writes and deletes,
/// and the three operations on a user's sessions (list, sign out, sign out one). <see cref="UserSessionIndex"/> is the
/// index; <see cref="NoUserSessionIndex"/> stands in when the option is unset, so the lifecycle has no index branches and
/// the store sees no extra command.
/// </summary>
/// <remarks>
/// The hooks: <see cref="BeforeWriteAsync"/> before every write of a session (create, save, regenerate's new session,
/// a rolling read's refreshed TTL), <see cref="BeforeDeleteAsync"/> before a delete, and <see cref="AfterAsync"/> with the
/// ticket either returned, once the lifecycle knows whether the session is stored or gone. A write or delete that
/// failed (an outage, a 503) needs no <see cref="AfterAsync"/>: what it left in the index is pruned when the user's
/// sessions are listed.
/// </remarks>
internal interface IUserSessionIndex
{
    /// <summary>Before a write: puts the session in its user's index (the index first, so a live session is never missing from it).</summary>
    ValueTask<UserIndexTicket> BeforeWriteAsync(HttpContext http, IndexedWrite write);

    /// <summary>
    /// Before a delete: learns whose index the session is in, from <paramref name="data"/> when the caller has it, else
    /// from this instance's memory or a read. A null <paramref name="sessionId"/> is no session (an empty ticket).
    /// </summary>
    ValueTask<UserIndexTicket> BeforeDeleteAsync(HttpContext http, string? sessionId, JsonObject? data = null);

    /// <summary>
    /// After the write or delete: <paramref name="sessionExists"/> when the write is stored (the session leaves the index
    /// of a user it no longer has, and the members the join found over the bound are signed out), false when the session
    /// is gone (deleted, or its write found it missing): it leaves the index. Best effort: the store failing here is logged,
    /// never thrown, since the operation itself is done; what it leaves is pruned at the next listing.
    /// </summary>
    ValueTask AfterAsync(UserIndexTicket ticket, bool sessionExists);

    /// <summary><c>GET /api/session/all</c>: the current user's live sessions, the current one first, then by last save.</summary>
    Task<UserSessionsOutcome> ListAsync(HttpContext http, Func<Task<CurrentSession?>> loadCurrent);

    /// <summary><c>DELETE /api/session/all</c> (<paramref name="includingCurrent"/>) and <c>DELETE /api/session/others</c>.</summary>
    Task<UserSessionsOutcome> SignOutAsync(HttpContext http, Func<Task<CurrentSession?>> loadCurrent, bool includingCurrent);

    /// <summary><c>DELETE /api/session/all/{handle}</c>: one of the current user's sessions; the current one clears its cookies too.</summary>
    Task<UserSessionsOutcome> SignOutHandleAsync(HttpContext http, Func<Task<CurrentSession?>> loadCurrent, string handle);
}
