using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SessionFunctions.Extensibility;

/// <summary>
/// koa's <c>valid(ctx, session)</c>: runs on every loaded session. A false result discards the session: the client
/// gets a new id and the clearing cookies, exactly as for a missing session. Default: <see cref="AcceptAllSessionValidator"/>.
/// </summary>
public interface ISessionValidator
{
    bool IsValid(HttpContext http, JsonObject session);
}
