using Microsoft.AspNetCore.Http;

namespace SessionFunctions.Http;

/// <summary>One endpoint of the API: both hosts map exactly these.</summary>
/// <param name="Name">The function name in the Azure Functions app.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Pattern">The route below the <c>api</c> prefix (<see cref="SessionApiRoutes"/>).</param>
/// <param name="Invoke">The handler.</param>
public sealed record SessionRoute(string Name, string Method, string Pattern, Func<SessionEndpoints, HttpContext, Task> Invoke);
