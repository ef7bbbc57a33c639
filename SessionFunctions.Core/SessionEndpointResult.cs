using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace SessionFunctions;

/// <summary>
/// Runs one <see cref="SessionRoute"/> as an <see cref="IActionResult"/>: the return type the Azure Functions ASP.NET Core
/// integration executes. The handler writes the response itself, exactly as it does under the standalone server.
/// </summary>
public sealed class SessionEndpointResult(SessionEndpoints endpoints, SessionRoute route) : IActionResult
{
    public SessionRoute Route { get; } = route;

    public Task ExecuteResultAsync(ActionContext context) => Run(context.HttpContext);

    public Task Run(HttpContext http) => Route.Invoke(endpoints, http);
}
