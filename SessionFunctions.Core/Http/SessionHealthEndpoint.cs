using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SessionFunctions.Http;

/// <summary>
/// The two probes, the same in both hosts: live (<c>healthz</c>: the process answers; no check runs) and ready
/// (<c>readyz</c>: the checks tagged <see cref="ReadyTag"/>, i.e. the session store). 200 <c>Healthy</c> or 503
/// <c>Unhealthy</c> as plain text, never cached, and nothing about the configuration.
/// </summary>
internal static class SessionHealthEndpoint
{
    public const string ReadyTag = "ready";

    public static async Task WriteAsync(HttpContext http, HealthCheckService checks, bool ready)
    {
        var report = await checks.CheckHealthAsync(ready ? check => check.Tags.Contains(ReadyTag) : _ => false, http.RequestAborted);
        http.Response.StatusCode = report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK;
        http.Response.Headers.CacheControl = "no-store";
        http.Response.ContentType = "text/plain; charset=utf-8";
        await http.Response.WriteAsync(report.Status.ToString(), http.RequestAborted);
    }
}
