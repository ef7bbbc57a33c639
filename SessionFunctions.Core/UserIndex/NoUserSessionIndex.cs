using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SessionFunctions.UserIndex;

/// <summary>
/// The user index when <c>Session:UserIdPath</c> is unset: every hook returns at once without a store command or an
/// allocation, and the user's sessions are not found (404 <c>no-user</c>) without the request's session being read.
/// </summary>
internal sealed class NoUserSessionIndex : IUserSessionIndex
{
    public static readonly NoUserSessionIndex Instance = new();

    private static readonly Task<UserSessionsOutcome> Off =
        Task.FromResult(UserSessionsOutcome.NoUser("The user index is off (Session:UserIdPath is not set)."));

    private NoUserSessionIndex()
    {
    }

    public ValueTask<UserIndexTicket> BeforeWriteAsync(HttpContext http, IndexedWrite write) => default;

    public ValueTask<UserIndexTicket> BeforeDeleteAsync(HttpContext http, string? sessionId, JsonObject? data = null) => default;

    public ValueTask AfterAsync(UserIndexTicket ticket, bool sessionExists) => default;

    public Task<UserSessionsOutcome> ListAsync(HttpContext http, Func<Task<CurrentSession?>> loadCurrent) => Off;

    public Task<UserSessionsOutcome> SignOutAsync(HttpContext http, Func<Task<CurrentSession?>> loadCurrent, bool includingCurrent) => Off;

    public Task<UserSessionsOutcome> SignOutHandleAsync(HttpContext http, Func<Task<CurrentSession?>> loadCurrent, string handle) => Off;
}
