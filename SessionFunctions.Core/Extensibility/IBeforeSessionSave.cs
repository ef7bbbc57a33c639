using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SessionFunctions.Extensibility;

/// <summary>
/// koa's <c>beforeSave(ctx, session)</c>: runs just before a session is written. Its changes are stored, but, as in
/// koa, changes made only here do not make an unchanged session count as modified. Default: <see cref="NoBeforeSessionSave"/>.
/// </summary>
public interface IBeforeSessionSave
{
    void BeforeSave(HttpContext http, JsonObject session);
}
