using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SessionFunctions;

/// <summary>One endpoint of the API: both hosts map exactly these.</summary>
/// <param name="Name">The function name in the Azure Functions app.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Pattern">The route below the <c>api</c> prefix.</param>
/// <param name="Invoke">The handler.</param>
public sealed record SessionRoute(string Name, string Method, string Pattern, Func<SessionEndpoints, HttpContext, Task> Invoke);

/// <summary>
/// The REST API over the current session: create, get, save, regenerate, remove. Each handler reads the request,
/// runs the <see cref="SessionLifecycle"/> steps, and writes the session as JSON or a problem response.
/// </summary>
public sealed class SessionEndpoints(
    SessionLifecycle sessions,
    CrossSiteRequestGuard crossSite,
    IOptions<SessionOptions> options,
    ILogger<SessionEndpoints> logger)
{
    /// <summary>The endpoint table. The standalone server maps it; the Functions app declares one function per row.</summary>
    public static IReadOnlyList<SessionRoute> Routes { get; } =
    [
        new("CreateSession", HttpMethods.Post, "session", (endpoints, http) => endpoints.CreateAsync(http)),
        new("GetSession", HttpMethods.Get, "session", (endpoints, http) => endpoints.GetAsync(http)),
        new("SaveSession", HttpMethods.Put, "session", (endpoints, http) => endpoints.SaveAsync(http)),
        new("RegenerateSession", HttpMethods.Post, "session/regenerate", (endpoints, http) => endpoints.RegenerateAsync(http)),
        new("RemoveSession", HttpMethods.Delete, "session", (endpoints, http) => endpoints.RemoveAsync(http)),
    ];

    private readonly SessionOptions _options = options.Value;

    /// <summary>The route named <paramref name="name"/> (e.g. <c>GetSession</c>) as an action result, for the Functions host.</summary>
    public SessionEndpointResult Result(string name) =>
        new(this, Routes.SingleOrDefault(r => r.Name == name) ?? throw new ArgumentException($"No session route is named '{name}'.", nameof(name)));

    /// <summary><c>POST /api/session</c>: a new session from the optional body, stored even when empty; replaces the request's session.</summary>
    public Task CreateAsync(HttpContext http) => RunAsync(http, async () =>
    {
        var body = await ReadBodyAsync(http, required: false);
        var session = await sessions.NewAsync(http);
        if (body is not null) Apply(http, session, body);
        await sessions.CreateAsync(http, session, replacedId: sessions.IncomingId(http));
        await WriteAsync(http, StatusCodes.Status201Created, session);
    });

    /// <summary><c>GET /api/session</c>: one store read, no write unless rolling or the cookie needs re-signing.</summary>
    public Task GetAsync(HttpContext http) => RunAsync(http, async () =>
    {
        var session = await sessions.LoadAsync(http);
        if (session.IsNew) throw new SessionProblemException(SessionProblem.NotFound);
        var commit = await sessions.CommitAsync(http, session); // a read changes nothing: this saves only when rolling
        await WriteAsync(http, StatusCodes.Status200OK, commit.Session);
    });

    /// <summary>
    /// <c>PUT /api/session</c>: replaces the fields; stores only a change; without a session, creates one under a new id.
    /// Starts from the value this instance remembers, if any, so a save is usually one store command.
    /// </summary>
    public Task SaveAsync(HttpContext http) => RunAsync(http, async () =>
    {
        var body = await ReadBodyAsync(http, required: true);
        void Change(Session session) => Apply(http, session, body!);
        var session = await sessions.LoadAsync(http, recall: true);
        Change(session);
        var commit = await sessions.CommitAsync(http, session, Change);
        await WriteAsync(http, commit.Session.IsNew && commit.Stored ? StatusCodes.Status201Created : StatusCodes.Status200OK, commit.Session);
    });

    /// <summary>
    /// <c>POST /api/session/regenerate</c>: a new id for the session (after login, say), holding the body if one is given,
    /// else a copy of the old data. Unlike koa (bug #110), the new session is always stored.
    /// </summary>
    public Task RegenerateAsync(HttpContext http) => RunAsync(http, async () =>
    {
        var body = await ReadBodyAsync(http, required: false);
        var current = await sessions.LoadAsync(http);
        if (current.IsNew) throw new SessionProblemException(SessionProblem.NotFound);
        var next = await sessions.NewAsync(http, current);
        if (body is not null) Apply(http, next, body);
        await sessions.CreateAsync(http, next, replacedId: current.Id);
        await WriteAsync(http, StatusCodes.Status200OK, next);
    });

    /// <summary><c>DELETE /api/session</c>: one store delete, the clearing cookies and <c>Clear-Site-Data</c>. Idempotent.</summary>
    public Task RemoveAsync(HttpContext http) => RunAsync(http, async () =>
    {
        await sessions.RemoveAsync(http);
        // OWASP: at logout, tell the browser to drop the site's cookies too (secure contexts only).
        if (_options.ClearSiteData) http.Response.Headers["Clear-Site-Data"] = "\"cookies\"";
        http.Response.StatusCode = StatusCodes.Status204NoContent;
    });

    private void Apply(HttpContext http, Session session, SessionBody body)
    {
        session.ReplaceFields(body.Fields);
        if (body.Cookie is not null) CookieOverrides.Apply(session.Cookie, body.Cookie, sessions.IsSecure(http), sessions.Now);
    }

    private Task<SessionBody?> ReadBodyAsync(HttpContext http, bool required) =>
        SessionRequestBody.ReadAsync(http.Request, _options.MaxBodyBytes, required);

    private static async Task WriteAsync(HttpContext http, int status, Session session)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json; charset=utf-8";
        await http.Response.WriteAsync(session.ToJson(), http.RequestAborted);
    }

    /// <summary>
    /// Every endpoint runs here: the CSRF check first, so no route can forget it, then the handler; every failure
    /// becomes a problem response (client errors are 4xx, an unavailable store is 503).
    /// </summary>
    private async Task RunAsync(HttpContext http, Func<Task> handler)
    {
        // Session responses carry a bearer credential and per-user data: no cache may keep them.
        http.Response.Headers.CacheControl = "no-store";
        try
        {
            if (crossSite.Check(http.Request) is { } rejection) throw new SessionProblemException(SessionProblem.CrossSiteRequest, rejection);
            await handler();
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; there is no one to answer.
        }
        catch (Exception error) when (!http.Response.HasStarted)
        {
            await ProblemAsync(http, error);
        }
    }

    private Task ProblemAsync(HttpContext http, Exception error)
    {
        switch (error)
        {
            case SessionProblemException problem:
                return problem.Problem.WriteAsync(http, problem.Detail);
            case SessionStoreUnavailableException:
                Log.StoreUnavailable(logger, error);
                http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(_options.ReconnectTimeout / 1000.0)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return SessionProblem.StoreUnavailable.WriteAsync(http);
            case BadHttpRequestException bad:
                var status = bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? SessionProblem.BodyTooLarge : SessionProblem.BadRequest;
                return status.WriteAsync(http, bad.Message);
            default:
                Log.UnexpectedError(logger, error);
                return SessionProblem.Internal.WriteAsync(http);
        }
    }
}
