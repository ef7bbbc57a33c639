using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SessionFunctions.Extensibility;

/// <summary>koa's default <c>valid</c>: every loaded session is valid.</summary>
public sealed class AcceptAllSessionValidator : ISessionValidator
{
    public bool IsValid(HttpContext http, JsonObject session) => true;
}
