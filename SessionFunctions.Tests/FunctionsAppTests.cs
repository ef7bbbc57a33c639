extern alias functions;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SessionFunctions.Configuration;
using SessionFunctions.Diagnostics;
using SessionFunctions.Http;
using SessionFunctions.Storage;
using SessionFunctions.Tests.Infrastructure;
using FunctionsApp = functions::SessionFunctions.Functions;

namespace SessionFunctions.Tests;

/// <summary>
/// The Azure Functions app as its real Worker SDK builds it. The host cannot run here, so: the <c>functions.metadata</c>
/// the SDK writes is checked against the route table and against the host's routing rule, and the app's own services
/// are built as <c>Program.cs</c> builds them and its functions called in-process with a real HttpContext, against a
/// real redis-server.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class FunctionsAppTests(RedisServer redis)
{
    private const string Origin = "https://spa.example";

    /// <summary>One function of functions.metadata: its HTTP trigger's verbs (null: every verb), route and auth level.</summary>
    private sealed record Function(string Name, IReadOnlyList<string>? Methods, string Route, string AuthLevel);

    private static List<Function> PublishedFunctions()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "FunctionsApp", "functions.metadata");
        return [.. JsonNode.Parse(File.ReadAllText(path))!.AsArray().Select(function =>
        {
            var trigger = function!["bindings"]!.AsArray().Single(b => (string?)b!["type"] == "httpTrigger")!;
            return new Function(
                (string)function["name"]!,
                trigger["methods"]?.AsArray().Select(m => ((string)m!).ToUpperInvariant()).ToList(),
                (string)trigger["route"]!,
                (string)trigger["authLevel"]!);
        })];
    }

    /// <summary>
    /// The host's routing, as a real Functions host (4.1037) showed it: functions are tried in the order of their names,
    /// ordinal and case-insensitive; the first whose verbs and route match takes the request; no route precedence.
    /// </summary>
    private static string? HostRoutes(List<Function> published, string method, string path)
    {
        foreach (var function in published.OrderBy(f => f.Name, StringComparer.OrdinalIgnoreCase))
        {
            if (function.Methods is { } methods && !methods.Contains(method)) continue;
            var template = TemplateParser.Parse(function.Route);
            var values = new RouteValueDictionary();
            if (!new TemplateMatcher(template, []).TryMatch("/" + path, values)) continue;
            var constraintsHold = template.Parameters.All(parameter => parameter.InlineConstraints.All(constraint =>
                !constraint.Constraint.StartsWith("regex(", StringComparison.Ordinal)
                || new Microsoft.AspNetCore.Routing.Constraints.RegexRouteConstraint(constraint.Constraint[6..^1])
                    .Match(null, null, parameter.Name!, values, RouteDirection.IncomingRequest)));
            if (constraintsHold) return function.Name;
        }
        return null;
    }

    [Fact]
    public void The_published_functions_are_the_route_table_with_its_verbs_routes_and_anonymous_access()
    {
        var published = PublishedFunctions();
        foreach (var route in SessionEndpoints.Routes)
            Assert.Equal(new Function(route.Name, route.Method == "GET" ? ["GET", "HEAD"] : [route.Method], route.Pattern, "Anonymous"), Assert.Single(published, f => f.Name == route.Name), FunctionComparer.Instance);
        var others = published.Where(f => SessionEndpoints.Routes.All(r => r.Name != f.Name)).OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(
            [
                new Function(nameof(FunctionsApp.SessionApi.OpenApiDocument), ["GET", "HEAD"], FunctionsApp.SessionApi.OpenApiRoute, "Anonymous"),
                new Function(nameof(FunctionsApp.SessionApi.SessionHealth), ["GET", "HEAD"], SessionApiRoutes.Health, "Anonymous"),
                new Function(nameof(FunctionsApp.SessionApi.UnmatchedRequest), null, SessionApiRoutes.Fallback, "Anonymous"),
            ],
            others, FunctionComparer.Instance);
    }

    [Fact]
    public void The_catch_all_sorts_after_every_other_function_so_the_host_tries_it_last()
    {
        var ordered = PublishedFunctions().Select(f => f.Name).Order(StringComparer.OrdinalIgnoreCase).ToList();
        Assert.Equal(nameof(FunctionsApp.SessionApi.UnmatchedRequest), ordered[^1]);
    }

    [Theory]
    [InlineData("GET", "healthz", "SessionHealth")]
    [InlineData("GET", "readyz", "SessionHealth")]
    [InlineData("DELETE", "session/all", "SignOutEverywhere")]
    [InlineData("DELETE", "session/others", "SignOutOthers")]
    [InlineData("DELETE", "session/all/abc", "SignOutUserSession")]
    [InlineData("GET", "session/all", "ListUserSessions")]
    [InlineData("POST", "session/regenerate", "RegenerateSession")]
    [InlineData("GET", "openapi/v1.json", "OpenApiDocument")]
    [InlineData("PROPFIND", "session", "UnmatchedRequest")]
    [InlineData("TRACE", "session", "UnmatchedRequest")]
    [InlineData("OPTIONS", "session", "UnmatchedRequest")]
    [InlineData("GET", "session/regenerate", "UnmatchedRequest")]
    [InlineData("GET", "nothing/here", "UnmatchedRequest")]
    public void Under_the_hosts_routing_rule_every_request_reaches_its_function(string method, string path, string expected)
    {
        foreach (var route in SessionEndpoints.Routes)
            Assert.Equal(route.Name, HostRoutes(PublishedFunctions(), route.Method, route.Pattern.Replace("{handle}", "h", StringComparison.Ordinal)));
        Assert.Equal(expected, HostRoutes(PublishedFunctions(), method, path));
    }

    private sealed class FunctionComparer : IEqualityComparer<Function>
    {
        public static readonly FunctionComparer Instance = new();

        public bool Equals(Function? x, Function? y) =>
            x is not null && y is not null && x.Name == y.Name && x.Route == y.Route && x.AuthLevel == y.AuthLevel
            && (x.Methods is null ? y.Methods is null : y.Methods is not null && x.Methods.SequenceEqual(y.Methods));

        public int GetHashCode(Function obj) => obj.Name.GetHashCode(StringComparison.Ordinal);
    }

    /// <summary>The app's host, built as Program.cs builds it, with <paramref name="settings"/> over its configuration; not started.</summary>
    private static IHost BuildApp(CapturedLogs? logs, params (string Key, string? Value)[] settings)
    {
        var builder = FunctionsApplication.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))
            .Prepend(new("Session:Keys:0", "functions-app-test-signing-key")));
        if (logs is not null) builder.Logging.AddProvider(logs);
        FunctionsApp.SessionFunctionsApp.AddSessionFunctions(builder);
        return builder.Build();
    }

    /// <summary>Calls one function of the app with a real HttpContext, and returns the response.</summary>
    private static async Task<HttpResponse> CallAsync(IHost app, Func<FunctionsApp.SessionApi, HttpRequest, IActionResult> function,
        string method, string path, string? body = null, string? cookies = null, string? origin = null, string contentType = "application/json")
    {
        var scope = app.Services.CreateScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        http.Request.Method = method;
        http.Request.Scheme = "https";
        http.Request.Host = new HostString("sessions.example");
        http.Request.Path = "/api/" + path;
        if (body is not null)
        {
            http.Request.ContentType = contentType;
            http.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        }
        else http.Request.ContentLength = 0;
        if (cookies is not null) http.Request.Headers.Cookie = cookies;
        if (origin is not null) http.Request.Headers.Origin = origin;
        http.Response.Body = new MemoryStream();
        var api = ActivatorUtilities.CreateInstance<FunctionsApp.SessionApi>(scope.ServiceProvider);
        await function(api, http.Request).ExecuteResultAsync(new ActionContext(http, new RouteData(), new ActionDescriptor()));
        http.Response.Body.Position = 0;
        return http.Response;
    }

    private static string Body(HttpResponse response) => new StreamReader(response.Body).ReadToEnd();

    private static string CookiesOf(HttpResponse response) =>
        string.Join("; ", response.Headers.SetCookie.Select(c => c!.Split(';')[0]));

    [Fact]
    public async Task With_a_redis_connection_string_every_function_works_against_redis()
    {
        var prefix = $"fa{Guid.NewGuid():N}:";
        using var app = BuildApp(null, ("Redis:ConnectionString", redis.ConnectionString), ("Session:Prefix", prefix), ("Session:UserIdPath", "/user/id"),
            ("Session:DangerouslyTrustClientsWithUserId", "true"));
        Assert.Equal("RedisSessionStore", app.Services.GetRequiredService<ISessionStore>().GetType().Name);

        var created = await CallAsync(app, (api, r) => api.CreateSession(r), "POST", "session", """{"user":{"id":"ada"},"n":1}""");
        Assert.Equal(201, created.StatusCode);
        var cookies = CookiesOf(created);
        var keys = redis.Database.Multiplexer.GetServers().Single().Keys(pattern: prefix + "*").ToList();
        var key = Assert.Single(keys, k => !k.ToString().Contains("user", StringComparison.Ordinal));
        Assert.Equal(1, (int)JsonNode.Parse((string)(await redis.Database.StringGetAsync(key))!)!["n"]!);

        Assert.Equal(200, (await CallAsync(app, (api, r) => api.GetSession(r), "GET", "session", cookies: cookies)).StatusCode);
        Assert.Equal(200, (await CallAsync(app, (api, r) => api.SaveSession(r), "PUT", "session", """{"user":{"id":"ada"},"n":2}""", cookies)).StatusCode);
        Assert.Equal(200, (await CallAsync(app, (api, r) => api.PatchSession(r), "PATCH", "session", """{"n":3}""", cookies, contentType: "application/merge-patch+json")).StatusCode);
        Assert.Equal(3, (int)JsonNode.Parse((string)(await redis.Database.StringGetAsync(key))!)!["n"]!);
        var listed = await CallAsync(app, (api, r) => api.ListUserSessions(r), "GET", "session/all", cookies: cookies);
        Assert.Equal(200, listed.StatusCode);
        Assert.Single(JsonNode.Parse(Body(listed))!["sessions"]!.AsArray());
        var regenerated = await CallAsync(app, (api, r) => api.RegenerateSession(r), "POST", "session/regenerate", cookies: cookies);
        Assert.Equal(200, regenerated.StatusCode);
        Assert.False(await redis.Database.KeyExistsAsync(key));
        cookies = CookiesOf(regenerated);
        Assert.Equal(204, (await CallAsync(app, (api, r) => api.SignOutOthers(r), "DELETE", "session/others", cookies: cookies)).StatusCode);
        Assert.Equal(404, (await CallAsync(app, (api, r) => api.SignOutUserSession(r), "DELETE", "session/all/unknown", cookies: cookies)).StatusCode);
        Assert.Equal(204, (await CallAsync(app, (api, r) => api.SignOutEverywhere(r), "DELETE", "session/all", cookies: cookies)).StatusCode);
        Assert.Equal(404, (await CallAsync(app, (api, r) => api.GetSession(r), "GET", "session", cookies: cookies)).StatusCode);
        var another = CookiesOf(await CallAsync(app, (api, r) => api.CreateSession(r), "POST", "session", "{}"));
        Assert.Equal(204, (await CallAsync(app, (api, r) => api.RemoveSession(r), "DELETE", "session", cookies: another)).StatusCode);
        Assert.Empty(redis.Database.Multiplexer.GetServers().Single().Keys(pattern: prefix + "*"));

        var ready = await CallAsync(app, (api, r) => api.SessionHealth(r, "readyz"), "GET", "readyz");
        Assert.Equal(200, ready.StatusCode);
    }

    [Fact]
    public async Task Without_redis_settings_the_app_runs_on_the_memory_store()
    {
        using var app = BuildApp(null);
        Assert.IsType<MemorySessionStore>(app.Services.GetRequiredService<ISessionStore>());
        Assert.Equal(201, (await CallAsync(app, (api, r) => api.CreateSession(r), "POST", "session", "{}")).StatusCode);
    }

    [Theory]
    [InlineData("Session:ReconnectTimeout", "0", "Session:ReconnectTimeout")]
    [InlineData("Cors:AllowedOrigins:0", "*", "Cors:AllowedOrigins")]
    public void A_bad_setting_fails_the_apps_startup_validation_naming_it(string key, string value, string named)
    {
        using var app = BuildApp(null, (key, value));
        var error = Assert.ThrowsAny<Exception>(() => app.Services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(named.Split(':')[^1], error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_redis_connection_string_that_cannot_be_parsed_fails_naming_the_setting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => BuildApp(null, ("Redis:ConnectionString", "127.0.0.1:6379,nosuchoption=1")));
        Assert.Contains("Redis:ConnectionString", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_workers_kestrel_accepts_bodies_up_to_the_hosts_100_mib()
    {
        using var app = BuildApp(null);
        var limits = app.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits;
        Assert.Equal(100L * 1024 * 1024, limits.MaxRequestBodySize);
    }

    [Fact]
    public async Task The_worker_lets_allowed_origins_read_the_etag_and_adds_no_header_the_host_sets()
    {
        using var app = BuildApp(null, ("Cors:AllowedOrigins:0", Origin));
        var allowed = await CallAsync(app, (api, r) => api.CreateSession(r), "POST", "session", "{}", origin: Origin);
        Assert.Equal(201, allowed.StatusCode);
        Assert.Equal(CrossOriginOptions.ExposedResponseHeaders, allowed.Headers.AccessControlExposeHeaders.ToString().Split(", "));
        Assert.False(allowed.Headers.ContainsKey("Access-Control-Allow-Origin"));
        Assert.False(allowed.Headers.ContainsKey("Access-Control-Allow-Credentials"));

        var other = await CallAsync(app, (api, r) => api.GetSession(r), "GET", "session", origin: "https://evil.example");
        Assert.False(other.Headers.ContainsKey("Access-Control-Expose-Headers"));
        var unmatched = await CallAsync(app, (api, r) => api.UnmatchedRequest(r), "PROPFIND", "session", origin: Origin);
        Assert.Equal(405, unmatched.StatusCode);
        Assert.StartsWith("application/problem+json", unmatched.ContentType, StringComparison.Ordinal);
        Assert.Equal(CrossOriginOptions.ExposedResponseHeaders, unmatched.Headers.AccessControlExposeHeaders.ToString().Split(", "));
    }

    [Theory]
    [InlineData("PROPFIND", "session", 405)]
    [InlineData("TRACE", "session/all", 405)]
    [InlineData("OPTIONS", "session", 405)]
    [InlineData("GET", "nothing-here", 404)]
    public async Task Every_verb_that_reaches_the_worker_gets_a_problem_answer(string method, string path, int status)
    {
        using var app = BuildApp(null);
        var response = await CallAsync(app, (api, r) => api.UnmatchedRequest(r), method, path);
        Assert.Equal(status, response.StatusCode);
        Assert.StartsWith("application/problem+json", response.ContentType, StringComparison.Ordinal);
        if (status == 405) Assert.NotEmpty(response.Headers.Allow.ToString());
    }

    [Fact]
    public async Task The_app_serves_the_committed_openapi_document()
    {
        using var app = BuildApp(null);
        var response = await CallAsync(app, (api, r) => api.OpenApiDocument(r), "GET", FunctionsApp.SessionApi.OpenApiRoute);
        Assert.Equal(200, response.StatusCode);
        Assert.StartsWith("application/json", response.ContentType, StringComparison.Ordinal);
        Assert.Equal("no-cache", response.Headers.CacheControl.ToString());
        Assert.Equal(RepositoryFiles.Read("openapi", "session-api.json"), Body(response));
    }

    [Fact]
    public async Task The_redis_connection_opens_at_startup_and_logs_under_the_clients_own_category()
    {
        var logs = new CapturedLogs();
        var clientName = "functions-startup-" + Guid.NewGuid().ToString("N")[..8];
        // Resolving the hosted services makes the worker's own too, whose gRPC client needs the host's address (never
        // called here: only ours are started).
        using var app = BuildApp(logs, ("Redis:ConnectionString", $"{redis.ConnectionString},name={clientName}"), ("Functions:Worker:HostEndpoint", "http://127.0.0.1:9"));
        foreach (var service in app.Services.GetServices<IHostedService>().Where(s => s.GetType().Assembly == typeof(RedisSessionStoreServiceCollectionExtensions).Assembly))
            await service.StartAsync(CancellationToken.None);

        var deadline = Stopwatch.StartNew();
        while (!((string)(await redis.Database.ExecuteAsync("CLIENT", "LIST"))!).Contains("name=" + clientName, StringComparison.Ordinal))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "the app did not connect to Redis at start-up");
            await Task.Delay(50);
        }
        Assert.Contains(logs.Entries, e => e.Category.StartsWith("StackExchange.Redis", StringComparison.Ordinal));
    }

    [Fact]
    public void With_application_insights_the_worker_exports_our_meter_and_source_and_registers_no_application_insights_sdk()
    {
        using (var quiet = BuildApp(null))
            Assert.Null(quiet.Services.GetService<OpenTelemetry.Trace.TracerProvider>());
        using var app = BuildApp(null, ("APPLICATIONINSIGHTS_CONNECTION_STRING", "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/"));
        Assert.NotNull(app.Services.GetService<OpenTelemetry.Trace.TracerProvider>());
        Assert.NotNull(app.Services.GetService<OpenTelemetry.Metrics.MeterProvider>());
        using var activities = new ActivitySource(SessionMetrics.Name);
        Assert.True(activities.HasListeners(), "the tracer provider does not listen to the SessionFunctions source");
        using var meter = new Meter(SessionMetrics.Name);
        Assert.True(meter.CreateCounter<long>("functions-app-test").Enabled, "the meter provider does not listen to the SessionFunctions meter");
        var registered = app.Services.GetRequiredService<IServiceProviderIsService>();
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name!.StartsWith("Microsoft.ApplicationInsights", StringComparison.Ordinal)
            && a.GetTypes().Any(t => t.IsPublic && registered.IsService(t)));
    }

    [Fact]
    public void The_worker_logs_our_information_and_the_redis_clients_and_not_the_frameworks_chatter()
    {
        var logs = new CapturedLogs();
        using var app = BuildApp(logs);
        var factory = app.Services.GetRequiredService<ILoggerFactory>();
        factory.CreateLogger(typeof(SessionEndpoints).FullName!).LogInformation("ours");
        factory.CreateLogger("StackExchange.Redis.ConnectionMultiplexer").LogInformation("client");
        factory.CreateLogger("Microsoft.AspNetCore.Routing.EndpointMiddleware").LogInformation("chatter");
        factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel").LogWarning("warning");
        Assert.Equal(["ours", "client", "warning"], logs.Entries.Select(e => e.Message).Where(m => m is "ours" or "client" or "chatter" or "warning"));
    }

    private sealed class CapturedLogs : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, string Message)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Entries);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<(string Category, string Message)> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue((category, formatter(state, exception)));
        }
    }
}
