using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SessionFunctions.Extensibility;

/// <summary>koa's default <c>beforeSave</c>: does nothing.</summary>
public sealed class NoBeforeSessionSave : IBeforeSessionSave
{
    public void BeforeSave(HttpContext http, JsonObject session) { }
}
