using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using SessionFunctions.Http;

namespace SessionFunctions.Functions;

/// <summary>
/// One function per endpoint of <see cref="SessionEndpoints.Routes"/>, with the same verbs and routes (below the
/// <c>api</c> route prefix of host.json), the health probes, the OpenAPI document, and a catch-all. Browsers call them,
/// so they are anonymous; the session cookie is the credential. Each returns the shared endpoint as an action result,
/// which runs on the request's HttpContext.
/// </summary>
public sealed class SessionApi(SessionEndpoints endpoints, CrossOriginReadableHeaders crossOrigin)
{
    /// <summary>The route of the OpenAPI document, below the route prefix: <c>/api/openapi/v1.json</c>.</summary>
    public const string OpenApiRoute = "openapi/v1.json";

    [Function(nameof(CreateSession))]
    public IActionResult CreateSession([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SessionApiRoutes.Session)] HttpRequest request) =>
        Answer(request, nameof(CreateSession));

    [Function(nameof(GetSession))]
    public IActionResult GetSession([HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = SessionApiRoutes.Session)] HttpRequest request) =>
        Answer(request, nameof(GetSession));

    [Function(nameof(SaveSession))]
    public IActionResult SaveSession([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = SessionApiRoutes.Session)] HttpRequest request) =>
        Answer(request, nameof(SaveSession));

    [Function(nameof(PatchSession))]
    public IActionResult PatchSession([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = SessionApiRoutes.Session)] HttpRequest request) =>
        Answer(request, nameof(PatchSession));

    [Function(nameof(RegenerateSession))]
    public IActionResult RegenerateSession([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SessionApiRoutes.Regenerate)] HttpRequest request) =>
        Answer(request, nameof(RegenerateSession));

    [Function(nameof(RemoveSession))]
    public IActionResult RemoveSession([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = SessionApiRoutes.Session)] HttpRequest request) =>
        Answer(request, nameof(RemoveSession));

    [Function(nameof(ListUserSessions))]
    public IActionResult ListUserSessions([HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = SessionApiRoutes.UserSessions)] HttpRequest request) =>
        Answer(request, nameof(ListUserSessions));

    [Function(nameof(SignOutEverywhere))]
    public IActionResult SignOutEverywhere([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = SessionApiRoutes.UserSessions)] HttpRequest request) =>
        Answer(request, nameof(SignOutEverywhere));

    [Function(nameof(SignOutOthers))]
    public IActionResult SignOutOthers([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = SessionApiRoutes.OtherUserSessions)] HttpRequest request) =>
        Answer(request, nameof(SignOutOthers));

    [Function(nameof(SignOutUserSession))]
    public IActionResult SignOutUserSession([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = SessionApiRoutes.UserSession)] HttpRequest request) =>
        Answer(request, nameof(SignOutUserSession));

    /// <summary>
    /// The liveness (<c>/api/healthz</c>) and readiness (<c>/api/readyz</c>: the session store answers) probes, from the
    /// shared code: 200 or 503 as plain text, never cached. Anonymous, as a platform probe carries no key.
    /// </summary>
    [Function(nameof(SessionHealth))]
    public IActionResult SessionHealth([HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = SessionApiRoutes.Health)] HttpRequest request, string probe) =>
        endpoints.Health(probe);

    /// <summary>The OpenAPI document the standalone server serves at <c>/openapi/v1.json</c>, as committed in <c>openapi/session-api.json</c>.</summary>
    [Function(nameof(OpenApiDocument))]
    public IActionResult OpenApiDocument([HttpTrigger(AuthorizationLevel.Anonymous, "get", "head", Route = OpenApiRoute)] HttpRequest request)
    {
        crossOrigin.Apply(request.HttpContext);
        return SessionOpenApiDocument.Result(request.HttpContext.Response);
    }

    /// <summary>
    /// Every other verb and route under <c>api/</c>, so that it gets the standalone server's answers (405 problem+json
    /// with <c>Allow</c> for a known route, 404 problem+json otherwise) instead of the host's bare 404. It declares no
    /// verb, so it takes every verb that reaches the worker. Its name must sort after every other function's: the host
    /// tries routes in the order of function names (ordinal, case-insensitive), the first match wins, and this route
    /// matches every path (FunctionsAppTests holds the order). Preflights (OPTIONS with an Origin) reach it only when the
    /// platform's CORS is off.
    /// </summary>
    [Function(nameof(UnmatchedRequest))]
    public IActionResult UnmatchedRequest([HttpTrigger(AuthorizationLevel.Anonymous, Route = SessionApiRoutes.Fallback)] HttpRequest request)
    {
        crossOrigin.Apply(request.HttpContext);
        return endpoints.Fallback();
    }

    private IActionResult Answer(HttpRequest request, string route)
    {
        crossOrigin.Apply(request.HttpContext);
        return endpoints.Result(route);
    }
}
