using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace SessionFunctions.Functions;

/// <summary>
/// One function per endpoint of <see cref="SessionEndpoints.Routes"/>, with the same verbs and routes (below the
/// <c>api</c> route prefix of host.json), plus a catch-all. Browsers call them, so they are anonymous; the session cookie
/// is the credential. Each returns the shared endpoint as an action result, which runs on the request's HttpContext.
/// </summary>
public sealed class SessionApi(SessionEndpoints endpoints)
{
    [Function(nameof(CreateSession))]
    public IActionResult CreateSession([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SessionApiRoutes.Session)] HttpRequest request) =>
        endpoints.Result(nameof(CreateSession));

    [Function(nameof(GetSession))]
    public IActionResult GetSession([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SessionApiRoutes.Session)] HttpRequest request) =>
        endpoints.Result(nameof(GetSession));

    [Function(nameof(SaveSession))]
    public IActionResult SaveSession([HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = SessionApiRoutes.Session)] HttpRequest request) =>
        endpoints.Result(nameof(SaveSession));

    [Function(nameof(PatchSession))]
    public IActionResult PatchSession([HttpTrigger(AuthorizationLevel.Anonymous, "patch", Route = SessionApiRoutes.Session)] HttpRequest request) =>
        endpoints.Result(nameof(PatchSession));

    [Function(nameof(RegenerateSession))]
    public IActionResult RegenerateSession([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = SessionApiRoutes.Regenerate)] HttpRequest request) =>
        endpoints.Result(nameof(RegenerateSession));

    [Function(nameof(RemoveSession))]
    public IActionResult RemoveSession([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = SessionApiRoutes.Session)] HttpRequest request) =>
        endpoints.Result(nameof(RemoveSession));

    [Function(nameof(ListUserSessions))]
    public IActionResult ListUserSessions([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SessionApiRoutes.UserSessions)] HttpRequest request) =>
        endpoints.Result(nameof(ListUserSessions));

    [Function(nameof(SignOutEverywhere))]
    public IActionResult SignOutEverywhere([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = SessionApiRoutes.UserSessions)] HttpRequest request) =>
        endpoints.Result(nameof(SignOutEverywhere));

    [Function(nameof(SignOutOthers))]
    public IActionResult SignOutOthers([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = SessionApiRoutes.OtherUserSessions)] HttpRequest request) =>
        endpoints.Result(nameof(SignOutOthers));

    [Function(nameof(SignOutUserSession))]
    public IActionResult SignOutUserSession([HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = SessionApiRoutes.UserSession)] HttpRequest request) =>
        endpoints.Result(nameof(SignOutUserSession));

    /// <summary>
    /// The liveness (<c>/api/healthz</c>) and readiness (<c>/api/readyz</c>: the session store answers) probes, from the
    /// shared code: 200 or 503 as plain text, never cached. Anonymous, as a platform probe carries no key.
    /// </summary>
    [Function(nameof(SessionHealth))]
    public IActionResult SessionHealth([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SessionApiRoutes.Health)] HttpRequest request, string probe) =>
        endpoints.Health(probe);

    /// <summary>
    /// Every other verb and route under <c>api/</c>. The host routes by verb and never calls the worker for a request no
    /// function declares, answering a bare 404; this function takes those requests so that they get the standalone
    /// server's answers: 405 problem+json with <c>Allow</c> for a known route, 404 problem+json otherwise. The host
    /// prefers the literal routes above to this one. OPTIONS preflights never reach it while platform CORS is on.
    /// </summary>
    [Function(nameof(SessionApiFallback))]
    public IActionResult SessionApiFallback(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "patch", "delete", "head", "options", Route = SessionApiRoutes.Fallback)] HttpRequest request) =>
        endpoints.Fallback();
}
