using System.Text.Json.Nodes;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.Extensions.DependencyInjection;
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

    private sealed record Declared(string Name, string Method, string Route, string Authorization, string Delegate);

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
            var methods = arguments.Where(a => a.NameEquals is null && a.Expression is LiteralExpressionSyntax).Select(a => ((LiteralExpressionSyntax)a.Expression).Token.ValueText).ToList();
            Assert.Single(methods);
            var route = arguments.Single(a => a.NameEquals?.Name.ToString() == "Route");
            functions.Add(new Declared(
                Name: NameOf(function.ArgumentList!.Arguments.Single().Expression),
                Method: methods[0].ToUpperInvariant(),
                Route: ((LiteralExpressionSyntax)route.Expression).Token.ValueText,
                Authorization: arguments[0].Expression.ToString(),
                Delegate: method.ExpressionBody is { Expression: InvocationExpressionSyntax call } && call.Expression.ToString() == "endpoints.Result"
                    ? NameOf(call.ArgumentList.Arguments.Single().Expression)
                    : "(not a one-line delegation: " + method.Body + method.ExpressionBody + ")"));
            Assert.Equal(function.ArgumentList.Arguments.Single().Expression.ToString(), $"nameof({method.Identifier.Text})");
        }
        return functions;
    }

    private static string NameOf(ExpressionSyntax expression) => expression switch
    {
        InvocationExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.Text: "nameof" } } call => call.ArgumentList.Arguments.Single().Expression.ToString(),
        LiteralExpressionSyntax literal => literal.Token.ValueText,
        _ => expression.ToString(),
    };

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
        var declared = DeclaredFunctions().OrderBy(f => f.Name).ToList();
        var expected = SessionEndpoints.Routes
            .Select(r => new Declared(r.Name, r.Method, r.Pattern, "AuthorizationLevel.Anonymous", r.Name))
            .OrderBy(f => f.Name).ToList();
        Assert.Equal(expected, declared);
    }

    [Fact]
    public async Task The_server_maps_the_same_table()
    {
        using var api = SessionApiFactory.WithMemory();
        api.CreateClient().Dispose();
        var endpoints = api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/", StringComparison.Ordinal) == true)
            .Select(e => (Route: e.RoutePattern.RawText![5..], Method: e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Single()))
            .OrderBy(e => e.Route).ThenBy(e => e.Method).ToList();
        Assert.Equal(SessionEndpoints.Routes.Select(r => (Route: r.Pattern, r.Method)).OrderBy(e => e.Route).ThenBy(e => e.Method), endpoints);
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
        var root = RepositoryFiles.Read("Directory.Packages.props");
        Assert.DoesNotContain("Microsoft.Azure.Functions.Worker", root);
        Assert.DoesNotContain("SessionFunctions.csproj", RepositoryFiles.Read("SessionFunctions.sln"));
    }

    [Fact]
    public void Host_json_and_local_settings_are_where_func_start_finds_them()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(AppDirectory, "host.json")))!;
        Assert.Equal("2.0", host["version"]!.GetValue<string>());
        Assert.Equal(SessionDefaults.RoutePrefix, host["extensions"]!["http"]!["routePrefix"]!.GetValue<string>());
        Assert.Equal("Request", host["logging"]!["applicationInsights"]!["samplingSettings"]!["excludedTypes"]!.GetValue<string>());

        var local = JsonNode.Parse(File.ReadAllText(Path.Combine(AppDirectory, "local.settings.json")))!;
        Assert.Equal("UseDevelopmentStorage=true", local["Values"]!["AzureWebJobsStorage"]!.GetValue<string>());
        Assert.Equal("dotnet-isolated", local["Values"]!["FUNCTIONS_WORKER_RUNTIME"]!.GetValue<string>());
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
