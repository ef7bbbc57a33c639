using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace SessionFunctions.Functions;

/// <summary>
/// One function per endpoint of <see cref="SessionEndpoints.Routes"/>, with the same verbs and routes (below the
/// <c>api</c> route prefix of host.json). Browsers call them, so they are anonymous; the session cookie is the credential.
/// Each returns the shared endpoint as a <see cref="SessionEndpointResult"/>, which runs on the request's HttpContext.
/// </summary>
public sealed class SessionApi(SessionEndpoints endpoints)
{
    [Function(nameof(CreateSession))]
    public IActionResult CreateSession([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "session")] HttpRequest request) =>
        endpoints.Result(nameof(CreateSession));

    [Function(nameof(GetSession))]
    public IActionResult GetSession([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "session")] HttpRequest request) =>
        endpoints.Result(nameof(GetSession));

    [Function(nameof(SaveSession))]
    public IActionResult SaveSession([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "session")] HttpRequest request) =>
        endpoints.Result(nameof(SaveSession));

    [Function(nameof(RegenerateSession))]
    public IActionResult RegenerateSession([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "session/regenerate")] HttpRequest request) =>
        endpoints.Result(nameof(RegenerateSession));

    [Function(nameof(RemoveSession))]
    public IActionResult RemoveSession([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "session")] HttpRequest request) =>
        endpoints.Result(nameof(RemoveSession));
}
