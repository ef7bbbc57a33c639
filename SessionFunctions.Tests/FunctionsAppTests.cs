using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>
/// The Azure Functions app cannot be restored or compiled here, so its sources are parsed with Roslyn: they must be
/// valid C#, and declare exactly the standalone server's endpoint table. Adding an endpoint to one host and not the
/// other fails here.
/// </summary>
public sealed class FunctionsAppTests
{
    private static readonly string AppDirectory = RepositoryFiles.PathOf("SessionFunctions");

    private static IEnumerable<SyntaxTree> Sources() =>
        Directory.GetFiles(AppDirectory, "*.cs").Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), path: f));

    // Methods: the trigger's verbs, upper case, comma-separated in declared order. Route: with SessionApiRoutes constants
    // resolved to their values. Delegate: the route name passed to endpoints.Result, or Fallback().
    private sealed record Declared(string Name, string Methods, string Route, string Authorization, string Delegate);

    private const string FallbackDelegate = "Fallback()";
    private const string HealthDelegate = "Health(probe)";

    private static List<Declared> DeclaredFunctions()
    {
        var functions = new List<Declared>();
        foreach (var method in Sources().SelectMany(t => t.GetRoot().DescendantNodes().OfType<MethodDeclarationSyntax>()))
        {
            var function = method.AttributeLists.SelectMany(l => l.Attributes).SingleOrDefault(a => a.Name.ToString() == "Function");
            if (function is null) continue;
            var trigger = method.ParameterList.Parameters.SelectMany(p => p.AttributeLists).SelectMany(l => l.Attributes)
                .Single(a => a.Name.ToString() == "HttpTrigger");
            var arguments = trigger.ArgumentList!.Arguments;
            var methods = arguments.Skip(1).Where(a => a.NameEquals is null)
                .Select(a => a.Expression is LiteralExpressionSyntax literal ? literal.Token.ValueText.ToUpperInvariant() : "(not a literal: " + a.Expression + ")");
            var route = arguments.Single(a => a.NameEquals?.Name.ToString() == "Route");
            functions.Add(new Declared(
                Name: NameOf(function.ArgumentList!.Arguments.Single().Expression),
                Methods: string.Join(",", methods),
                Route: RouteOf(route.Expression),
                Authorization: arguments[0].Expression.ToString(),
                Delegate: method.ExpressionBody?.Expression switch
                {
                    InvocationExpressionSyntax call when call.Expression.ToString() == "endpoints.Result" => NameOf(call.ArgumentList.Arguments.Single().Expression),
                    InvocationExpressionSyntax call when call.Expression.ToString() == "endpoints.Fallback" && call.ArgumentList.Arguments.Count == 0 => FallbackDelegate,
                    InvocationExpressionSyntax call when call.Expression.ToString() == "endpoints.Health" && call.ArgumentList.ToString() == "(probe)"
                        && method.ParameterList.Parameters.Any(p => p.Identifier.Text == "probe" && p.Type?.ToString() == "string") => HealthDelegate,
                    _ => "(not a one-line delegation: " + method.Body + method.ExpressionBody + ")",
                }));
            Assert.Equal(function.ArgumentList.Arguments.Single().Expression.ToString(), $"nameof({method.Identifier.Text})");
        }
        return functions;
    }

    /// <summary>A route literal, or a <c>SessionApiRoutes</c> constant resolved to its value in SessionFunctions.Core.</summary>
    private static string RouteOf(ExpressionSyntax expression) => expression switch
    {
        LiteralExpressionSyntax literal => literal.Token.ValueText,
        MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.Text: nameof(SessionApiRoutes) } } member =>
            typeof(SessionApiRoutes).GetField(member.Name.Identifier.Text) is { IsLiteral: true } field
                ? (string)field.GetRawConstantValue()!
                : "(no constant SessionApiRoutes." + member.Name + ")",
        _ => "(not a route constant: " + expression + ")",
    };

    private static string NameOf(ExpressionSyntax expression) => expression switch
    {
        InvocationExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.Text: "nameof" } } call => call.ArgumentList.Arguments.Single().Expression.ToString(),
        LiteralExpressionSyntax literal => literal.Token.ValueText,
        _ => expression.ToString(),
    };

    private static SyntaxNode Parse(string file) => CSharpSyntaxTree.ParseText(RepositoryFiles.Read("SessionFunctions", file)).GetRoot();

    private static List<InvocationExpressionSyntax> Calls(SyntaxNode root, string expression) =>
        root.DescendantNodes().OfType<InvocationExpressionSyntax>().Where(c => c.Expression.ToString() == expression).ToList();

    [Fact]
    public void The_sources_are_valid_csharp()
    {
        var trees = Sources().ToList();
        Assert.NotEmpty(trees);
        Assert.All(trees, tree => Assert.DoesNotContain(tree.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error));
    }

    [Fact]
    public void The_functions_match_the_standalone_server_endpoint_table_exactly()
    {
        // Every row once, with its one verb and route; the catch-all is checked below.
        var declared = DeclaredFunctions().Where(f => f.Delegate is not FallbackDelegate and not HealthDelegate).OrderBy(f => f.Name).ToList();
        var expected = SessionEndpoints.Routes
            .Select(r => new Declared(r.Name, r.Method, r.Pattern, "AuthorizationLevel.Anonymous", r.Name))
            .OrderBy(f => f.Name).ToList();
        Assert.Equal(expected, declared);
    }

    [Fact]
    public void A_catch_all_function_takes_every_other_verb_and_route_and_delegates_to_the_shared_fallback()
    {
        // The host routes by verb and answers a bare 404 for anything no function declares, so one anonymous function
        // must take every verb a browser or client can send, on every path below the route prefix.
        var fallback = Assert.Single(DeclaredFunctions(), f => f.Delegate == FallbackDelegate);
        Assert.Equal("SessionApiFallback", fallback.Name);
        Assert.Equal("AuthorizationLevel.Anonymous", fallback.Authorization);
        Assert.Equal(SessionApiRoutes.Fallback, fallback.Route);
        Assert.StartsWith("{*", SessionApiRoutes.Fallback, StringComparison.Ordinal);
        var methods = fallback.Methods.Split(',');
        Assert.Equal(methods.Length, methods.Distinct().Count());
        Assert.Superset(
            SessionEndpoints.Routes.Select(r => r.Method).Concat(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]).ToHashSet(),
            methods.ToHashSet());
    }

    [Fact]
    public void One_anonymous_get_function_serves_both_health_probes_from_the_shared_code()
    {
        var health = Assert.Single(DeclaredFunctions(), f => f.Delegate == HealthDelegate);
        Assert.Equal(("SessionHealth", "GET", "AuthorizationLevel.Anonymous"), (health.Name, health.Methods, health.Authorization));
        Assert.Equal(SessionApiRoutes.Health, health.Route);
        // Its route takes exactly the two probe names, which the standalone server maps at its root.
        var template = Microsoft.AspNetCore.Routing.Patterns.RoutePatternFactory.Parse(health.Route);
        var constraint = Assert.Single(Assert.Single(template.Parameters).ParameterPolicies).Content!;
        Assert.Matches(constraint[(constraint.IndexOf('(') + 1)..^1], SessionApiRoutes.Live);
        Assert.Matches(constraint[(constraint.IndexOf('(') + 1)..^1], SessionApiRoutes.Ready);
        Assert.DoesNotMatch(constraint[(constraint.IndexOf('(') + 1)..^1], "session");
    }

    [Theory]
    [InlineData("healthz")]
    [InlineData("readyz")]
    public async Task The_health_result_the_function_returns_answers_as_the_standalone_probe(string probe)
    {
        using var api = SessionApiFactory.WithMemory();
        using var http = api.CreateClient();
        var standalone = await http.GetAsync("/" + probe);

        using var scope = api.Services.CreateScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Response.Body = new MemoryStream();
        await scope.ServiceProvider.GetRequiredService<SessionEndpoints>().Health(probe)
            .ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));

        Assert.Equal(200, (int)standalone.StatusCode);
        Assert.Equal(200, context.Response.StatusCode);
        Assert.Equal("no-store", context.Response.Headers.CacheControl.ToString());
        Assert.Equal(await standalone.Content.ReadAsStringAsync(), Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray()));
    }

    [Theory]
    [InlineData("PATCH", "/api/session/regenerate")]
    [InlineData("HEAD", "/api/session")]
    [InlineData("OPTIONS", "/api/session")]
    [InlineData("GET", "/api/session/regenerate")]
    [InlineData("DELETE", "/api/session/regenerate")]
    [InlineData("GET", "/api/nothing-here")]
    [InlineData("POST", "/api/session/regenerate/more")]
    public async Task The_fallback_answers_unmatched_requests_as_the_standalone_server_does(string method, string path)
    {
        using var api = SessionApiFactory.WithMemory();
        using var http = api.CreateClient();
        var standalone = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        using var scope = api.Services.CreateScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Method = method;
        context.Request.Path = path;
        context.Response.Body = new MemoryStream();
        await scope.ServiceProvider.GetRequiredService<SessionEndpoints>().Fallback()
            .ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));

        Assert.Equal((int)standalone.StatusCode, context.Response.StatusCode);
        Assert.Contains(context.Response.StatusCode, new[] { 404, 405 });
        Assert.Equal(standalone.Content.Headers.Allow.Order(), context.Response.Headers.Allow.ToString().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Order());
        if (method != "HEAD") Assert.StartsWith("application/problem+json", context.Response.ContentType);
    }

    [Fact]
    public async Task The_server_maps_the_same_table()
    {
        using var api = SessionApiFactory.WithMemory();
        api.CreateClient().Dispose();
        var mapped = api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true).ToList();
        static bool IsCatchAll(RouteEndpoint e) => e.RoutePattern.Parameters.Any(p => p.IsCatchAll);
        var endpoints = mapped.Where(e => !IsCatchAll(e))
            .Select(e => (Route: e.RoutePattern.RawText![5..], Method: e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Single()))
            .OrderBy(e => e.Route).ThenBy(e => e.Method).ToList();
        Assert.Equal(SessionEndpoints.Routes.Select(r => (Route: r.Pattern, r.Method)).OrderBy(e => e.Route).ThenBy(e => e.Method), endpoints);
        // And one catch-all for any method, like the Functions app's SessionApiFallback.
        var fallback = Assert.Single(mapped, IsCatchAll);
        Assert.True(Assert.Single(fallback.RoutePattern.Parameters).IsCatchAll);
        Assert.Null(fallback.Metadata.GetMetadata<HttpMethodMetadata>());
        await Task.CompletedTask;
    }

    [Fact]
    public async Task The_action_result_the_functions_return_runs_the_shared_endpoint()
    {
        using var api = SessionApiFactory.WithMemory();
        api.CreateClient().Dispose();
        using var scope = api.Services.CreateScope();
        var endpoints = scope.ServiceProvider.GetRequiredService<SessionEndpoints>();

        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        http.Request.Method = "POST";
        http.Request.ContentType = "application/json";
        http.Request.Body = new MemoryStream("""{"via":"functions"}"""u8.ToArray());
        http.Response.Body = new MemoryStream();
        IActionResult result = endpoints.Result("CreateSession");
        await result.ExecuteResultAsync(new ActionContext(http, new RouteData(), new ActionDescriptor()));

        Assert.Equal(201, http.Response.StatusCode);
        Assert.Equal(2, http.Response.Headers.SetCookie.Count);
        http.Response.Body.Position = 0;
        Assert.Equal("functions", JsonNode.Parse(http.Response.Body)!["via"]!.GetValue<string>());
        Assert.Throws<ArgumentException>(() => endpoints.Result("NoSuchFunction"));
    }

    [Fact]
    public void Program_raises_the_workers_kestrel_body_limit_to_the_hosts_100_mib()
    {
        var configure = Assert.Single(Calls(Parse("Program.cs"), "builder.Services.Configure<KestrelServerOptions>"));
        var assignment = Assert.Single(configure.DescendantNodes().OfType<AssignmentExpressionSyntax>());
        Assert.EndsWith(".Limits.MaxRequestBodySize", assignment.Left.ToString(), StringComparison.Ordinal);
        var limit = Convert.ToInt64(((LiteralExpressionSyntax)assignment.Right).Token.Value, System.Globalization.CultureInfo.InvariantCulture);
        // Below it our early 413 becomes the host's empty 500 once Kestrel stops draining at its default limit.
        Assert.Equal(100L * 1024 * 1024, limit);
        Assert.True(limit > new KestrelServerOptions().Limits.MaxRequestBodySize);
        Assert.Contains("104,857,600", RepositoryFiles.Read("README.md"));
    }

    [Fact]
    public void Program_removes_the_application_insights_warning_rule_so_information_logs_reach_it()
    {
        var configure = Assert.Single(Calls(Parse("Program.cs"), "builder.Logging.Services.Configure<LoggerFilterOptions>"));
        Assert.Contains(configure.DescendantNodes().OfType<LiteralExpressionSyntax>(),
            l => l.Token.ValueText == "Microsoft.Extensions.Logging.ApplicationInsights.ApplicationInsightsLoggerProvider");
        Assert.Contains(configure.DescendantNodes().OfType<InvocationExpressionSyntax>(), c => c.Expression.ToString().EndsWith(".Rules.Remove", StringComparison.Ordinal));
    }

    [Fact]
    public void Program_sets_the_worker_log_levels_our_information_logs_pass_and_framework_chatter_does_not()
    {
        // host.json's levels never reach the worker, so Program.cs must set them: replay its calls on a real factory.
        var program = Parse("Program.cs");
        var minimum = Enum.Parse<LogLevel>(((MemberAccessExpressionSyntax)Assert.Single(Calls(program, "builder.Logging.SetMinimumLevel")).ArgumentList.Arguments.Single().Expression).Name.Identifier.Text);
        var filters = Calls(program, "builder.Logging.AddFilter").Select(c => (
            Category: ((LiteralExpressionSyntax)c.ArgumentList.Arguments[0].Expression).Token.ValueText,
            Level: Enum.Parse<LogLevel>(((MemberAccessExpressionSyntax)c.ArgumentList.Arguments[1].Expression).Name.Identifier.Text))).ToList();
        Assert.NotEmpty(filters);
        var written = new List<(string Category, LogLevel Level)>();
        using var factory = LoggerFactory.Create(logging =>
        {
            logging.SetMinimumLevel(minimum);
            foreach (var (category, level) in filters) logging.AddFilter(category, level);
            logging.AddProvider(new CapturingLoggerProvider(written));
        });
        void Log(string category, LogLevel level) => factory.CreateLogger(category).Log(level, "test");

        Log(typeof(SessionEndpoints).FullName!, LogLevel.Information);
        Log(typeof(SessionFunctions.Redis.RedisConnection).FullName!, LogLevel.Information);
        Log("StackExchange.Redis.ConnectionMultiplexer", LogLevel.Information);
        Log("Microsoft.Azure.StackExchangeRedis.AzureCacheOptionsProviderWithToken", LogLevel.Information);
        Log("Microsoft.AspNetCore.Routing.EndpointMiddleware", LogLevel.Information);
        Log("Microsoft.AspNetCore.Server.Kestrel", LogLevel.Warning);
        Assert.Equal(
            [typeof(SessionEndpoints).FullName!, typeof(SessionFunctions.Redis.RedisConnection).FullName!, "StackExchange.Redis.ConnectionMultiplexer",
             "Microsoft.Azure.StackExchangeRedis.AzureCacheOptionsProviderWithToken", "Microsoft.AspNetCore.Server.Kestrel"],
            written.Select(w => w.Category));
    }

    private sealed class CapturingLoggerProvider(List<(string Category, LogLevel Level)> written) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, written);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, List<(string Category, LogLevel Level)> written) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                written.Add((category, logLevel));
        }
    }

    [Fact]
    public void The_redis_client_logs_through_the_apps_logger_factory_on_both_paths()
    {
        // Every store registration is a callback that sets LoggerFactory from the service provider it receives; on the
        // Entra ID path before ConfigureForAzureWithTokenCredentialAsync, which takes its logger from the options.
        var registrations = Calls(Parse("SessionRedisRegistration.cs"), "services.AddRedisSessionStore");
        Assert.Equal(2, registrations.Count);
        foreach (var registration in registrations)
        {
            // The callback is the last argument: (provider) => options, or (provider, options) => … after a connection string.
            var lambda = Assert.IsAssignableFrom<LambdaExpressionSyntax>(registration.ArgumentList.Arguments.Last().Expression);
            var provider = lambda switch
            {
                SimpleLambdaExpressionSyntax simple => simple.Parameter.Identifier.Text,
                ParenthesizedLambdaExpressionSyntax parenthesized => parenthesized.ParameterList.Parameters[0].Identifier.Text,
                _ => throw new InvalidOperationException(lambda.ToString()),
            };
            var assignment = Assert.Single(lambda.DescendantNodes().OfType<AssignmentExpressionSyntax>(), a => a.Left.ToString().EndsWith(".LoggerFactory", StringComparison.Ordinal));
            Assert.Equal($"{provider}.GetService<ILoggerFactory>()", assignment.Right.ToString());
            var azure = lambda.DescendantNodes().OfType<InvocationExpressionSyntax>().FirstOrDefault(c => c.Expression.ToString().EndsWith(".ConfigureForAzureWithTokenCredentialAsync", StringComparison.Ordinal));
            if (azure is not null) Assert.True(assignment.SpanStart < azure.SpanStart, "LoggerFactory must be set before ConfigureForAzureWithTokenCredentialAsync");
        }
        Assert.Single(registrations, r => r.ToString().Contains("ConfigureForAzureWithTokenCredentialAsync", StringComparison.Ordinal));
    }

    [Fact]
    public void Program_uses_the_isolated_worker_with_aspnet_core_integration_and_the_shared_registration()
    {
        var program = CSharpSyntaxTree.ParseText(RepositoryFiles.Read("SessionFunctions", "Program.cs")).GetRoot();
        var calls = program.DescendantNodes().OfType<InvocationExpressionSyntax>().Select(c => c.Expression.ToString()).ToList();
        Assert.Contains("FunctionsApplication.CreateBuilder", calls);
        Assert.Contains("builder.ConfigureFunctionsWebApplication", calls);
        Assert.Contains("builder.Services.AddSessionApi", calls);
        Assert.Contains("builder.Services.AddSessionRedis", calls);
        Assert.DoesNotContain(calls, c => c.EndsWith("ConfigureFunctionsWorkerDefaults", StringComparison.Ordinal));

        var registration = RepositoryFiles.Read("SessionFunctions", "SessionRedisRegistration.cs");
        Assert.Contains("ConfigureForAzureWithTokenCredentialAsync", registration);
        Assert.Contains("ManagedIdentityId.FromUserAssignedClientId", registration);
    }

    [Fact]
    public void The_project_compiles_the_redis_sources_and_keeps_its_package_versions_apart()
    {
        var project = XDocument.Load(Path.Combine(AppDirectory, "SessionFunctions.csproj"));
        var compiled = project.Descendants("Compile").Select(c => c.Attribute("Include")!.Value).ToList();
        Assert.Contains(@"..\SessionFunctions.Redis\*.cs", compiled);
        var references = project.Descendants("ProjectReference").Select(r => r.Attribute("Include")!.Value).ToList();
        Assert.DoesNotContain(references, r => r.Contains("SessionFunctions.Redis", StringComparison.Ordinal));
        Assert.Equal("v4", project.Descendants("AzureFunctionsVersion").Single().Value);

        var packages = project.Descendants("PackageReference").Select(p => p.Attribute("Include")!.Value).ToList();
        var versions = XDocument.Load(Path.Combine(AppDirectory, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(p => p.Attribute("Include")!.Value, p => p.Attribute("Version")!.Value);
        Assert.All(packages, p => Assert.True(versions.ContainsKey(p), $"{p} has no version in SessionFunctions/Directory.Packages.props"));
        Assert.StartsWith("2.", versions["StackExchange.Redis"]);
        // Microsoft.Azure.StackExchangeRedis 3.3.1 needs at least 2.10.1: a lower pin fails restore (NU1605).
        Assert.Equal("3.3.1", versions["Microsoft.Azure.StackExchangeRedis"]);
        Assert.True(Version.Parse(versions["StackExchange.Redis"]) >= new Version(2, 10, 1), $"StackExchange.Redis {versions["StackExchange.Redis"]} < 2.10.1");

        // Warnings are errors, except NuGet audit advisories, which must not fail a build on a day nothing changed.
        var notAsErrors = project.Descendants("WarningsNotAsErrors").Single().Value.Split(';', StringSplitOptions.TrimEntries);
        Assert.Equal("$(WarningsNotAsErrors)", notAsErrors[0]);
        Assert.Equal(["NU1901", "NU1902", "NU1903", "NU1904"], notAsErrors.Skip(1));
        Assert.Empty(project.Descendants("TreatWarningsAsErrors"));
        Assert.Contains("<TreatWarningsAsErrors>true</TreatWarningsAsErrors>", RepositoryFiles.Read("Directory.Build.props"));
        var root = RepositoryFiles.Read("Directory.Packages.props");
        Assert.DoesNotContain("Microsoft.Azure.Functions.Worker", root);
        Assert.DoesNotContain("SessionFunctions.csproj", RepositoryFiles.Read("SessionFunctions.sln"));
    }

    [Fact]
    public void Host_json_and_local_settings_are_where_func_start_finds_them()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(AppDirectory, "host.json")))!;
        Assert.Equal("2.0", host["version"]!.GetValue<string>());
        Assert.Equal(SessionApiRoutes.Prefix, host["extensions"]!["http"]!["routePrefix"]!.GetValue<string>());
        Assert.Equal("Request", host["logging"]!["applicationInsights"]!["samplingSettings"]!["excludedTypes"]!.GetValue<string>());

        var local = JsonNode.Parse(File.ReadAllText(Path.Combine(AppDirectory, "local.settings.json")))!;
        Assert.Equal("UseDevelopmentStorage=true", local["Values"]!["AzureWebJobsStorage"]!.GetValue<string>());
        Assert.Equal("dotnet-isolated", local["Values"]!["FUNCTIONS_WORKER_RUNTIME"]!.GetValue<string>());
        // GET / must not be the host's welcome page under func start either.
        Assert.Equal("true", local["Values"]!["AzureWebJobsDisableHomepage"]!.GetValue<string>());
        Assert.Contains("DEVELOPMENT", local["Values"]!["Session__Keys__0"]!.GetValue<string>());
        Assert.NotNull(local["Values"]!["Redis__ConnectionString"]);
        Assert.True(local["Host"]!["CORSCredentials"]!.GetValue<bool>());
        var origins = local["Host"]!["CORS"]!.GetValue<string>();
        Assert.DoesNotContain("*", origins);
        Assert.StartsWith("http://localhost:", origins);
        // The platform answers CORS (Host.CORS); the app's CSRF check needs the same list.
        Assert.Equal(origins, local["Values"]!["Cors__AllowedOrigins__0"]!.GetValue<string>());
    }
}
