using Microsoft.AspNetCore.Http;

namespace SessionFunctions.Extensibility;

/// <summary>koa's <c>genSid</c>. The result must not contain <c>;</c>; anything else is accepted. Default: <see cref="RandomSessionIdGenerator"/>.</summary>
public interface ISessionIdGenerator
{
    ValueTask<string> GenerateAsync(HttpContext http);
}
