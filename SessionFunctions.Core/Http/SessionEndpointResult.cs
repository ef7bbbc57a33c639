using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace SessionFunctions.Http;

/// <summary>
/// Runs a handler as an <see cref="IActionResult"/>: the return type the Azure Functions ASP.NET Core integration
/// executes. The handler writes the response itself, exactly as it does under the standalone server.
/// </summary>
internal sealed class SessionEndpointResult(Func<HttpContext, Task> handler) : IActionResult
{
    public Task ExecuteResultAsync(ActionContext context) => handler(context.HttpContext);
}
