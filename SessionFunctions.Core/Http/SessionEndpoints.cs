using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SessionFunctions.Configuration;
using SessionFunctions.Cookies;
using SessionFunctions.Diagnostics;
using SessionFunctions.Lifecycle;
using SessionFunctions.Storage;

namespace SessionFunctions.Http;

/// <summary>
/// The REST API over the current session: HTTP translation only. Each handler reads the body, calls one operation of
/// the <see cref="SessionLifecycle"/>, and writes its <see cref="SessionOutcome"/> as JSON or a problem response.
/// </summary>
public sealed class SessionEndpoints
{
    /// <summary>The endpoint table. The standalone server maps it; the Functions app declares one function per row.</summary>
    public static IReadOnlyList<SessionRoute> Routes { get; } =
    [
        Route("CreateSession", HttpMethods.Post, SessionApiRoutes.Session, (endpoints, http) => endpoints.CreateAsync(http)),
        Route("GetSession", HttpMethods.Get, SessionApiRoutes.Session, (endpoints, http) => endpoints.GetAsync(http)),
        Route("SaveSession", HttpMethods.Put, SessionApiRoutes.Session, (endpoints, http) => endpoints.SaveAsync(http)),
        Route("PatchSession", HttpMethods.Patch, SessionApiRoutes.Session, (endpoints, http) => endpoints.PatchAsync(http)),
        Route("RegenerateSession", HttpMethods.Post, SessionApiRoutes.Regenerate, (endpoints, http) => endpoints.RegenerateAsync(http)),
        Route("RemoveSession", HttpMethods.Delete, SessionApiRoutes.Session, (endpoints, http) => endpoints.RemoveAsync(http)),
        Route("ListUserSessions", HttpMethods.Get, SessionApiRoutes.UserSessions, (endpoints, http) => endpoints.ListUserSessionsAsync(http)),
        Route("SignOutEverywhere", HttpMethods.Delete, SessionApiRoutes.UserSessions, (endpoints, http) => endpoints.SignOutUserAsync(http, includingCurrent: true)),
        Route("SignOutOthers", HttpMethods.Delete, SessionApiRoutes.OtherUserSessions, (endpoints, http) => endpoints.SignOutUserAsync(http, includingCurrent: false)),
        Route("SignOutUserSession", HttpMethods.Delete, SessionApiRoutes.UserSession, (endpoints, http) => endpoints.SignOutHandleAsync(http)),
    ];

    /// <summary>
    /// The methods a host maps for <paramref name="route"/>: HEAD wherever GET (RFC 9110 §9.3.2), answered as GET is, the
    /// server leaving out the body.
    /// </summary>
    internal static string[] MethodsOf(SessionRoute route) =>
        route.Method == HttpMethods.Get ? [HttpMethods.Get, HttpMethods.Head] : [route.Method];

    /// <summary>
    /// A route that runs only for a path that is exactly an instance of its pattern. Both hosts' routers also match a
    /// trailing-slash variant (<c>session/all/</c> for <c>session/all</c>), and there an empty handle
    /// (<c>DELETE session/all/</c>, <c>…/all/?handle=x</c>) would sign the user out everywhere: such a path gets the
    /// fallback's 404 (or 405) instead, whatever its method.
    /// </summary>
    private static SessionRoute Route(string name, string method, string pattern, Func<SessionEndpoints, HttpContext, Task> handler) =>
        new(name, method, pattern, (endpoints, http) => PatternMatches(pattern, RoutePath(http)) ? handler(endpoints, http) : endpoints.FallbackAsync(http));

    private readonly SessionLifecycle _sessions;
    private readonly VerifiedLogin _login;
    private readonly HealthCheckService _health;
    private readonly CrossSiteRequestGuard _crossSite;
    private readonly SessionApiOptions _options;
    private readonly SessionMetrics _metrics;
    private readonly TtlPolicy _ttl;
    private readonly TimeProvider _time;
    private readonly ILogger<SessionEndpoints> _logger;

    internal SessionEndpoints(SessionLifecycle sessions, CrossSiteRequestGuard crossSite, IOptions<SessionApiOptions> options, SessionMetrics metrics,
        HealthCheckService health, TtlPolicy ttl, TimeProvider time, ILogger<SessionEndpoints> logger, VerifiedLogin login)
    {
        _login = login;
        _ttl = ttl;
        _time = time;
        _sessions = sessions;
        _health = health;
        _crossSite = crossSite;
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>The route named <paramref name="name"/> (e.g. <c>GetSession</c>) as an action result, for the Functions host.</summary>
    public IActionResult Result(string name)
    {
        var route = Routes.SingleOrDefault(r => r.Name == name) ?? throw new ArgumentException($"No session route is named '{name}'.", nameof(name));
        return new SessionEndpointResult(http => route.Invoke(this, http));
    }

    /// <summary>Every request below the prefix that no route takes, as an action result, for the Functions host's catch-all function.</summary>
    public IActionResult Fallback() => new SessionEndpointResult(FallbackAsync);

    /// <summary>A health probe (<see cref="SessionApiRoutes.Live"/> or <see cref="SessionApiRoutes.Ready"/>) as an action result, for the Functions host.</summary>
    public IActionResult Health(string probe) => new SessionEndpointResult(http => HealthAsync(http, probe));

    internal Task HealthAsync(HttpContext http, string probe) =>
        SessionHealthEndpoint.WriteAsync(http, _health, ready: string.Equals(probe, SessionApiRoutes.Ready, StringComparison.OrdinalIgnoreCase));

    internal Task CreateAsync(HttpContext http) => RunAsync(http, async () =>
        await WriteAsync(http, await _sessions.CreateAsync(http, await ReadEditAsync(http, required: false))));

    internal Task GetAsync(HttpContext http) => RunAsync(http, async () =>
        await WriteAsync(http, await _sessions.GetAsync(http, EntityTags.IfNoneMatch(http.Request))));

    internal Task SaveAsync(HttpContext http) => RunAsync(http, async () =>
        await WriteAsync(http, await _sessions.SaveAsync(http, (await ReadEditAsync(http, required: true))!, EntityTags.IfMatch(http.Request))));

    internal Task PatchAsync(HttpContext http) => RunAsync(http, async () =>
        await WriteAsync(http, await _sessions.SaveAsync(http, (await ReadEditAsync(http, required: true, SessionEditKind.Merge))!, EntityTags.IfMatch(http.Request))));

    internal Task RegenerateAsync(HttpContext http) => RunAsync(http, async () =>
    {
        // The token first: a refused login reads and writes nothing.
        var login = await _login.VerifyAsync(http);
        await WriteAsync(http, await _sessions.RegenerateAsync(http, await ReadEditAsync(http, required: false), EntityTags.IfMatch(http.Request), login));
    });

    internal Task RemoveAsync(HttpContext http) => RunAsync(http, async () =>
        await WriteAsync(http, await _sessions.RemoveAsync(http, EntityTags.IfMatch(http.Request))));

    internal Task ListUserSessionsAsync(HttpContext http) => RunAsync(http, async () =>
        await WriteAsync(http, await _sessions.ListUserSessionsAsync(http)));

    internal Task SignOutUserAsync(HttpContext http, bool includingCurrent) => RunAsync(http, async () =>
    {
        // A handle is a path segment; a client that sends it as a query meant one session, not all of them.
        if (http.Request.Query.ContainsKey("handle"))
            throw new SessionProblemException(SessionProblem.UserSessionNotFound, "The handle is a path segment: DELETE /api/session/all/{handle}.");
        await WriteAsync(http, await _sessions.SignOutUserAsync(http, includingCurrent));
    });

    // The handle is the last path segment: both hosts route it, and neither needs to pass route values. Only an exact
    // path reaches here (see Route), so the segment is never empty.
    internal Task SignOutHandleAsync(HttpContext http) => RunAsync(http, async () =>
        await WriteAsync(http, await _sessions.SignOutHandleAsync(http, Uri.UnescapeDataString(RoutePath(http).Split('/')[^1]))));

    /// <summary>404, or 405 with <c>Allow</c> when the path exists with other methods: problem+json, as every other error.</summary>
    internal Task FallbackAsync(HttpContext http)
    {
        http.Response.Headers.CacheControl = "no-store";
        var path = RoutePath(http);
        var allowed = Routes.Where(r => PatternMatches(r.Pattern, path)).SelectMany(MethodsOf).ToList();
        if (allowed.Count == 0) return SessionProblem.RouteNotFound.WriteAsync(http, $"No resource at {http.Request.Path}.");
        var allow = string.Join(", ", allowed);
        http.Response.Headers.Allow = allow;
        return SessionProblem.MethodNotAllowed.WriteAsync(http, $"{http.Request.Method} is not supported here; use {allow}.");
    }

    /// <summary>The request path below the prefix, without its leading slash; a trailing slash is kept (an empty last segment).</summary>
    private static string RoutePath(HttpContext http)
    {
        var path = (http.Request.Path.Value ?? "").TrimStart('/');
        var prefix = SessionApiRoutes.Prefix + "/";
        return path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? path[prefix.Length..] : path;
    }

    /// <summary>Whether <paramref name="path"/> is an instance of <paramref name="pattern"/>, whose <c>{name}</c> segments take any one segment.</summary>
    private static bool PatternMatches(string pattern, string path)
    {
        var patternSegments = pattern.Split('/');
        var pathSegments = path.Split('/');
        return patternSegments.Length == pathSegments.Length && patternSegments.Zip(pathSegments).All(p =>
            p.First.StartsWith('{') ? p.Second.Length > 0 : string.Equals(p.First, p.Second, StringComparison.OrdinalIgnoreCase));
    }

    private Task<SessionEdit?> ReadEditAsync(HttpContext http, bool required, SessionEditKind kind = SessionEditKind.Replace) =>
        SessionRequestBody.ReadAsync(http.Request, _options.MaxBodyBytes, required, kind);

    private async Task WriteAsync(HttpContext http, SessionOutcome outcome)
    {
        switch (outcome.Kind)
        {
            case SessionOutcomeKind.Created:
                await WriteSessionAsync(http, StatusCodes.Status201Created, outcome.Session!);
                break;
            case SessionOutcomeKind.Ok:
                await WriteSessionAsync(http, StatusCodes.Status200OK, outcome.Session!);
                break;
            case SessionOutcomeKind.Removed:
                // OWASP: at logout, tell the browser to drop the site's cookies too (secure contexts only).
                if (_options.ClearSiteData) http.Response.Headers["Clear-Site-Data"] = "\"cookies\"";
                http.Response.StatusCode = StatusCodes.Status204NoContent;
                break;
            case SessionOutcomeKind.SignedOut:
                http.Response.StatusCode = StatusCodes.Status204NoContent;
                break;
            case SessionOutcomeKind.List:
                http.Response.StatusCode = StatusCodes.Status200OK;
                http.Response.ContentType = "application/json; charset=utf-8";
                var list = new System.Text.Json.Nodes.JsonObject { ["sessions"] = new System.Text.Json.Nodes.JsonArray([.. outcome.Sessions!.Select(s => s.ToJson())]) };
                await http.Response.WriteAsync(list.ToJsonString(), http.RequestAborted);
                break;
            case SessionOutcomeKind.NoUser:
                await SessionProblem.NoUser.WriteAsync(http, outcome.Detail);
                break;
            case SessionOutcomeKind.HandleNotFound:
                await SessionProblem.UserSessionNotFound.WriteAsync(http);
                break;
            case SessionOutcomeKind.NotModified:
                http.Response.Headers.ETag = EntityTags.Of(outcome.Session!.Hash);
                ExpiryHeaders(http, outcome.Session);
                http.Response.StatusCode = StatusCodes.Status304NotModified;
                break;
            case SessionOutcomeKind.PreconditionFailed:
                _metrics.PreconditionFailed();
                if (outcome.CurrentHash is { } current) http.Response.Headers.ETag = EntityTags.Of(current);
                await SessionProblem.PreconditionFailed.WriteAsync(http, outcome.CurrentHash is null
                    ? "There is no session for If-Match to name."
                    : "The session changed since the client read it: read it again (ETag names the current one), then retry.");
                break;
            case SessionOutcomeKind.NotFound:
                await SessionProblem.NotFound.WriteAsync(http);
                break;
            case SessionOutcomeKind.NotStored:
                RetryAfter(http);
                await SessionProblem.NotStored.WriteAsync(http);
                break;
            case SessionOutcomeKind.Conflict:
                _metrics.Conflict();
                await SessionProblem.Conflict.WriteAsync(http, outcome.Detail);
                break;
            default:
                throw new InvalidOperationException($"Unknown outcome {outcome.Kind}.");
        }
    }

    private async Task WriteSessionAsync(HttpContext http, int status, Session session)
    {
        http.Response.StatusCode = status;
        ExpiryHeaders(http, session);
        // Changes whenever the stored text changes, whoever wrote it (Koa too): a client's If-Match can name it.
        http.Response.Headers.ETag = EntityTags.Of(session.Hash);
        http.Response.ContentType = "application/json; charset=utf-8";
        var json = session.ToJson();
        // With its length known, Kestrel sends the body as is: no chunk framing and no separate final chunk to send.
        http.Response.ContentLength = Encoding.UTF8.GetByteCount(json);
        await http.Response.WriteAsync(json, http.RequestAborted);
    }

    /// <summary>
    /// Every endpoint runs here: the CSRF check first, so no route can forget it, then the handler; every failure
    /// becomes a problem response (client errors are 4xx, a store that is unavailable or refuses is 503).
    /// </summary>
    private async Task RunAsync(HttpContext http, Func<Task> handler)
    {
        // Session responses carry a bearer credential and per-user data: no cache may keep them.
        http.Response.Headers.CacheControl = "no-store";
        try
        {
            if (_crossSite.Check(http.Request) is { } rejection)
            {
                _metrics.CrossSiteRejected();
                throw new SessionProblemException(SessionProblem.CrossSiteRequest, rejection);
            }
            EntityTags.RefuseIfNoneMatchOnWrite(http.Request);
            await handler();
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
        catch (Exception error) when (!http.Response.HasStarted)
        {
            // A failed request changes no cookie: whatever the operation queued announced something that did not happen.
            http.Response.Headers.Remove("Set-Cookie");
            await ProblemAsync(http, error);
        }
    }

    private Task ProblemAsync(HttpContext http, Exception error)
    {
        switch (error)
        {
            case SessionProblemException rejected:
                return rejected.Problem.WriteAsync(http, rejected.Detail);
            case SessionEditRefusedException refused:
                var refusal = refused.Reason == SessionEditRefusal.ProtectedField ? SessionProblem.ProtectedField : SessionProblem.InvalidCookie;
                return refusal.WriteAsync(http, refused.Message);
            case SessionUnreadableException:
                return SessionProblem.Unreadable.WriteAsync(http);
            case SessionStoreUnavailableException:
                Log.StoreUnavailableAnswered(_logger);
                RetryAfter(http);
                return SessionProblem.StoreUnavailable.WriteAsync(http);
            case SessionStoreErrorException refused:
                // The repository logged the reply: a Warning when it began an incident, else at Debug.
                Log.StoreErrorAnswered(_logger, refused.Code);
                RetryAfter(http);
                return SessionProblem.StoreError.WriteAsync(http, $"The store answered {refused.Code}.");
            case BadHttpRequestException bad:
                var problem = bad.StatusCode switch
                {
                    StatusCodes.Status413PayloadTooLarge => SessionProblem.BodyTooLarge,
                    StatusCodes.Status408RequestTimeout => SessionProblem.RequestTimeout,
                    _ => SessionProblem.BadRequest,
                };
                return problem.WriteAsync(http, bad.Message);
            default:
                Log.UnexpectedError(_logger, error);
                return SessionProblem.Internal.WriteAsync(http);
        }
    }

    /// <summary>
    /// When the session ends, so a SPA can warn before it logs the user out: <c>Session-Idle-Expires</c> when this
    /// request set its TTL (now + TTL; a plain read does not know when the last write was), and
    /// <c>Session-Absolute-Expires</c> when an absolute timeout applies. ISO-8601, UTC.
    /// </summary>
    private void ExpiryHeaders(HttpContext http, Session session)
    {
        // A plain read sets no TTL, and without absolute timeouts there is no deadline to tell: nothing to read then.
        if (!session.TtlSet && _options.AbsoluteTimeout is null) return;
        var now = _time.GetUtcNow();
        var cookie = session.CookieAttributes(_options.Cookie);
        if (session.TtlSet) http.Response.Headers["Session-Idle-Expires"] = SessionCookie.FormatDate(now + _ttl.For(cookie, now));
        if (cookie.AbsoluteDeadline(_options.AbsoluteTimeout) is { } deadline) http.Response.Headers["Session-Absolute-Expires"] = SessionCookie.FormatDate(deadline);
    }

    private void RetryAfter(HttpContext http) =>
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(_options.ReconnectTimeout / 1000.0)).ToString(CultureInfo.InvariantCulture);
}
