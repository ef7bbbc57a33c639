using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SessionFunctions;

/// <summary>
/// koa's <c>valid(ctx, session)</c>: runs on every loaded session. A false result discards the session: the client
/// gets a new id and the clearing cookies, exactly as for a missing session.
/// </summary>
public interface ISessionValidator
{
    bool IsValid(HttpContext http, JsonObject session);
}

/// <summary>koa's default: every loaded session is valid.</summary>
public sealed class AcceptAllSessionValidator : ISessionValidator
{
    public bool IsValid(HttpContext http, JsonObject session) => true;
}
