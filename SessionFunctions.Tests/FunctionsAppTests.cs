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

    /// <summary>The calls chained on <paramref name="root"/>, itself first: <c>a.B().C()</c> from <c>a.B()</c> gives B, C.</summary>
    private static List<InvocationExpressionSyntax> Chain(InvocationExpressionSyntax root)
    {
        var chain = new List<InvocationExpressionSyntax> { root };
        for (var call = root; call.Parent is MemberAccessExpressionSyntax { Parent: InvocationExpressionSyntax next } member && member.Expression == call; call = next)
            chain.Add(next);
        return chain;
    }

    private static string MethodName(InvocationExpressionSyntax call) => call.Expression switch
    {
        MemberAccessExpressionSyntax member => member.Name.Identifier.Text,
        SimpleNameSyntax name => name.Identifier.Text,
        _ => call.Expression.ToString(),
    };

    /// <summary>A string literal, a local <c>const</c> of <paramref name="root"/>, or <c>SessionMetrics.Name</c>, resolved to its value.</summary>
    private static string ConstantOf(SyntaxNode root, ExpressionSyntax expression) => expression switch
    {
        LiteralExpressionSyntax literal => literal.Token.ValueText,
        IdentifierNameSyntax name => root.DescendantNodes().OfType<LocalDeclarationStatementSyntax>().Where(d => d.IsConst)
            .SelectMany(d => d.Declaration.Variables).SingleOrDefault(v => v.Identifier.Text == name.Identifier.Text)?.Initializer?.Value
            is LiteralExpressionSyntax constant ? constant.Token.ValueText : "(no string constant " + name + ")",
        MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.Text: nameof(SessionMetrics) }, Name.Identifier.Text: nameof(SessionMetrics.Name) } => SessionMetrics.Name,
        _ => "(not a constant: " + expression + ")",
    };

    /// <summary>The local variable that holds <c>builder.Configuration[key]</c>, the key a literal or a constant of SessionRedisRegistration.</summary>
    private static string VariableReading(SyntaxNode root, string setting) => Assert.Single(
        root.DescendantNodes().OfType<VariableDeclaratorSyntax>(),
        v => v.Initializer?.Value is ElementAccessExpressionSyntax read && read.Expression.ToString() == "builder.Configuration"
            && SettingName(read.ArgumentList.Arguments.Single().Expression) == setting).Identifier.Text;

    private static string SettingName(ExpressionSyntax key) => key switch
    {
        LiteralExpressionSyntax literal => literal.Token.ValueText,
        MemberAccessExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.Text: "SessionRedisRegistration" } } member =>
            Parse("SessionRedisRegistration.cs").DescendantNodes().OfType<FieldDeclarationSyntax>().Where(f => f.Modifiers.Any(SyntaxKind.ConstKeyword))
                .SelectMany(f => f.Declaration.Variables).SingleOrDefault(v => v.Identifier.Text == member.Name.Identifier.Text)?.Initializer?.Value
                is LiteralExpressionSyntax constant ? constant.Token.ValueText : "(no constant " + member + ")",
        _ => "(not a setting name: " + key + ")",
    };

    [Fact]
    public void Program_exports_the_core_meter_and_activity_source_to_application_insights_through_opentelemetry()
    {
        // "Use OpenTelemetry with Azure Functions", isolated worker: AddOpenTelemetry().UseFunctionsWorkerDefaults()
        // .UseAzureMonitorExporter() after ConfigureFunctionsWebApplication, plus our meter and source.
        var program = Parse("Program.cs");
        var root = Assert.Single(Calls(program, "builder.Services.AddOpenTelemetry"));
        Assert.Empty(root.ArgumentList.Arguments);
        Assert.True(root.SpanStart > Assert.Single(Calls(program, "builder.ConfigureFunctionsWebApplication")).SpanStart);
        var chain = Chain(root);
        var names = chain.Select(MethodName).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal(
            new[] { "AddOpenTelemetry", "UseFunctionsWorkerDefaults", "UseAzureMonitorExporter", "WithMetrics", "WithTracing" }.Order(),
            names.Order());
        Assert.Empty(chain.Single(c => MethodName(c) == "UseFunctionsWorkerDefaults").ArgumentList.Arguments);

        // Exactly the Core's meter and activity source, each once, inside WithMetrics and WithTracing.
        foreach (var (configure, add) in new[] { ("WithMetrics", "AddMeter"), ("WithTracing", "AddSource") })
        {
            var adds = program.DescendantNodes().OfType<InvocationExpressionSyntax>().Where(c => MethodName(c) == add).ToList();
            var only = Assert.Single(adds);
            Assert.Contains(only, chain.Single(c => MethodName(c) == configure).ArgumentList.DescendantNodes());
            Assert.Equal(SessionMetrics.Name, ConstantOf(program, Assert.Single(only.ArgumentList.Arguments).Expression));
        }

        // Only when the deployment names a resource (func start has none), to that resource, as the app's identity:
        // Application Insights takes no key (DisableLocalAuth), and the exporter does not read the host's
        // APPLICATIONINSIGHTS_AUTHENTICATION_STRING.
        var connectionString = VariableReading(program, "APPLICATIONINSIGHTS_CONNECTION_STRING");
        var guard = Assert.Single(root.Ancestors().OfType<IfStatementSyntax>());
        Assert.Equal($"!string.IsNullOrWhiteSpace({connectionString})", guard.Condition.ToString());
        var exporter = Assert.IsAssignableFrom<LambdaExpressionSyntax>(
            Assert.Single(chain.Single(c => MethodName(c) == "UseAzureMonitorExporter").ArgumentList.Arguments).Expression);
        var assignments = exporter.DescendantNodes().OfType<AssignmentExpressionSyntax>().ToDictionary(a => ((MemberAccessExpressionSyntax)a.Left).Name.Identifier.Text, a => a.Right.ToString());
        Assert.Equal(connectionString, assignments["ConnectionString"]);
        var clientId = VariableReading(program, "AZURE_CLIENT_ID");
        Assert.Equal($"new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId({clientId}))", assignments["Credential"]);

        // The rendered message in the traces table, as before; registered under the same guard.
        var logging = Assert.Single(Calls(program, "builder.Logging.AddOpenTelemetry"));
        Assert.Same(guard, logging.Ancestors().OfType<IfStatementSyntax>().Single());
        Assert.Equal("options => options.IncludeFormattedMessage = true", logging.ArgumentList.Arguments.Single().ToString());

        // The namespaces the guide's extension methods live in; the app cannot be compiled here to catch a missing one.
        var usings = ((CompilationUnitSyntax)program).Usings.Select(u => u.Name!.ToString()).ToList();
        Assert.Superset(
            new HashSet<string> { "OpenTelemetry", "Azure.Monitor.OpenTelemetry.Exporter", "Microsoft.Azure.Functions.Worker.OpenTelemetry", "Azure.Identity" },
            usings.ToHashSet());
    }

    [Fact]
    public void Program_registers_no_application_insights_sdk_beside_opentelemetry()
    {
        // Both would send the worker's logs; the migration guide removes the SDK first. Its Warning-only logging rule,
        // which Program.cs used to remove, goes with it. Nor the ASP.NET Core distro (UseAzureMonitor): its request
        // instrumentation would report every request a second time beside the host's.
        var program = Parse("Program.cs");
        var calls = program.DescendantNodes().OfType<InvocationExpressionSyntax>().Select(MethodName).ToList();
        Assert.DoesNotContain("AddApplicationInsightsTelemetryWorkerService", calls);
        Assert.DoesNotContain("ConfigureFunctionsApplicationInsights", calls);
        Assert.DoesNotContain("UseAzureMonitor", calls);
        Assert.DoesNotContain(program.DescendantNodes().OfType<GenericNameSyntax>(), n => n.Identifier.Text == "Configure" && n.TypeArgumentList.ToString() == "<LoggerFilterOptions>");
        Assert.DoesNotContain("ApplicationInsightsLoggerProvider", program.ToFullString());
        foreach (var tree in Sources())
            Assert.DoesNotContain(((CompilationUnitSyntax)tree.GetRoot()).Usings, u => u.Name!.ToString().StartsWith("Microsoft.ApplicationInsights", StringComparison.Ordinal));

        static bool ApplicationInsightsSdk(string package) =>
            package.StartsWith("Microsoft.ApplicationInsights", StringComparison.Ordinal)
            || package is "Microsoft.Azure.Functions.Worker.ApplicationInsights" or "Azure.Monitor.OpenTelemetry.AspNetCore";
        Assert.DoesNotContain(PackageReferences(), ApplicationInsightsSdk);
        Assert.DoesNotContain(PackageVersions().Keys, ApplicationInsightsSdk);
    }

    private static List<string> PackageReferences() =>
        XDocument.Load(Path.Combine(AppDirectory, "SessionFunctions.csproj")).Descendants("PackageReference").Select(p => p.Attribute("Include")!.Value).ToList();

    private static Dictionary<string, string> PackageVersions(string file = "SessionFunctions/Directory.Packages.props") =>
        XDocument.Load(RepositoryFiles.PathOf(file.Split('/'))).Descendants("PackageVersion")
            .ToDictionary(p => p.Attribute("Include")!.Value, p => p.Attribute("Version")!.Value);

    [Fact]
    public void The_project_references_the_packages_the_opentelemetry_guide_names_at_versions_that_fit_the_worker()
    {
        var packages = PackageReferences();
        var versions = PackageVersions();
        foreach (var package in new[] { "Microsoft.Azure.Functions.Worker.OpenTelemetry", "OpenTelemetry.Extensions.Hosting", "Azure.Monitor.OpenTelemetry.Exporter", "Azure.Identity" })
        {
            Assert.Contains(package, packages);
            Assert.True(versions.TryGetValue(package, out var version), $"{package} has no version in SessionFunctions/Directory.Packages.props");
            Assert.DoesNotContain("-", version); // stable releases only
        }
        // 1.2.0 shipped with the 2.52.0 worker packages and needs them; UseAzureMonitorExporter arrived in the exporter's 1.4.0.
        Assert.True(Version.Parse(versions["Microsoft.Azure.Functions.Worker.OpenTelemetry"]) >= new Version(1, 2, 0));
        Assert.True(Version.Parse(versions["Microsoft.Azure.Functions.Worker"]) >= new Version(2, 52, 0));
        Assert.True(Version.Parse(versions["Azure.Monitor.OpenTelemetry.Exporter"]) >= new Version(1, 4, 0));
        // One OpenTelemetry SDK version for both hosts: the standalone server's.
        Assert.Equal(PackageVersions("Directory.Packages.props")["OpenTelemetry.Exporter.OpenTelemetryProtocol"], versions["OpenTelemetry.Extensions.Hosting"]);
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
        // Through a plain provider and through OpenTelemetry's, which the Azure Monitor exporter reads from: it must add
        // no rule of its own (the Application Insights SDK's let only Warning through).
        var written = new List<(string Category, LogLevel Level)>();
        var exported = new List<string>();
        using var factory = LoggerFactory.Create(logging =>
        {
            logging.SetMinimumLevel(minimum);
            foreach (var (category, level) in filters) logging.AddFilter(category, level);
            logging.AddProvider(new CapturingLoggerProvider(written));
            logging.AddOpenTelemetry(options => options.AddProcessor(new CapturingLogProcessor(exported)));
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
        Assert.Equal(written.Select(w => w.Category), exported);
    }

    private sealed class CapturingLogProcessor(List<string> exported) : OpenTelemetry.BaseProcessor<OpenTelemetry.Logs.LogRecord>
    {
        public override void OnEnd(OpenTelemetry.Logs.LogRecord data) => exported.Add(data.CategoryName!);
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
    public void The_redis_sources_compile_inside_the_apps_assembly_against_core()
    {
        // The app compiles SessionFunctions.Redis/*.cs into its own assembly, named after its project file, and those
        // sources implement Core's internal contracts (the user index): Core must let that assembly see its internals.
        // A real build outside found the break (CS0122) that parsing alone could not; this compiles them here the same way.
        var project = XDocument.Load(Path.Combine(AppDirectory, "SessionFunctions.csproj"));
        var assemblyName = project.Descendants("AssemblyName").SingleOrDefault()?.Value ?? "SessionFunctions";
        var redisSources = Directory.GetFiles(RepositoryFiles.PathOf("SessionFunctions.Redis"), "*.cs")
            .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), path: f))
            // The global usings Microsoft.NET.Sdk generates for ImplicitUsings (Directory.Build.props turns them on).
            .Append(CSharpSyntaxTree.ParseText(string.Concat(new[] { "System", "System.Collections.Generic", "System.IO", "System.Linq",
                "System.Net.Http", "System.Threading", "System.Threading.Tasks" }.Select(n => $"global using {n};\n"))));
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var output = Directory.GetFiles(AppContext.BaseDirectory, "*.dll").Where(f => !f.EndsWith("SessionFunctions.Redis.dll", StringComparison.Ordinal));
        var references = platform.Concat(output).Distinct(StringComparer.Ordinal).Where(f => !f.EndsWith("SessionFunctions.Redis.dll", StringComparison.Ordinal))
            .GroupBy(Path.GetFileName, StringComparer.Ordinal).Select(g => MetadataReference.CreateFromFile(g.First()));
        var compilation = CSharpCompilation.Create(assemblyName, redisSources, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        // The [LoggerMessage] methods come from the logging source generator the SDK ships in its ASP.NET Core targeting pack.
        var dotnetRoot = Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var generatorPath = Directory.GetFiles(Path.Combine(dotnetRoot, "packs", "Microsoft.AspNetCore.App.Ref"), "Microsoft.Extensions.Logging.Generators.dll", SearchOption.AllDirectories)
            .Where(f => f.Contains(Path.Combine("analyzers", "dotnet", "cs"), StringComparison.Ordinal)).Max(StringComparer.Ordinal)
            ?? throw new InvalidOperationException($"No logging source generator under {dotnetRoot}/packs/Microsoft.AspNetCore.App.Ref.");
        var generators = new Microsoft.CodeAnalysis.Diagnostics.AnalyzerFileReference(generatorPath, new GeneratorAssemblyLoader()).GetGenerators(LanguageNames.CSharp);
        CSharpGeneratorDriver.Create(generators).RunGeneratorsAndUpdateCompilation(compilation, out var generated, out _);

        var errors = generated.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()).ToList();

        Assert.True(errors.Count == 0, string.Join(Environment.NewLine, errors));
    }

    private sealed class GeneratorAssemblyLoader : Microsoft.CodeAnalysis.IAnalyzerAssemblyLoader
    {
        public void AddDependencyLocation(string fullPath)
        {
        }

        public System.Reflection.Assembly LoadFromPath(string fullPath) => System.Reflection.Assembly.LoadFrom(fullPath);
    }

    [Fact]
    public void Host_json_and_local_settings_are_where_func_start_finds_them()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(AppDirectory, "host.json")))!;
        Assert.Equal("2.0", host["version"]!.GetValue<string>());
        Assert.Equal(SessionApiRoutes.Prefix, host["extensions"]!["http"]!["routePrefix"]!.GetValue<string>());
        // The host exports OpenTelemetry too, correlated with the worker's; the logging.applicationInsights section no
        // longer applies in that mode, so none is kept to mislead. The host's own log levels still do.
        Assert.Equal("OpenTelemetry", host["telemetryMode"]!.GetValue<string>());
        Assert.Null(host["logging"]!["applicationInsights"]);
        Assert.Equal("Warning", host["logging"]!["logLevel"]!["default"]!.GetValue<string>());

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
