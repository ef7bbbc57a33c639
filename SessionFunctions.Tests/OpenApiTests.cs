using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Moq;
using SessionFunctions.Configuration;
using SessionFunctions.Cookies;
using SessionFunctions.Http;
using SessionFunctions.Storage;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>
/// The OpenAPI contract: the document the server generates is the committed <c>openapi/session-api.json</c> (to accept
/// a deliberate change, run the tests with <c>UPDATE_OPENAPI=1</c> and commit the rewritten file), it documents every
/// route and problem type, what the API really answers is in it, and it passes Redocly's linter.
/// </summary>
public sealed class OpenApiTests
{
    private static readonly string CommittedPath = RepositoryFiles.PathOf("openapi", "session-api.json");

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        IndentSize = 2,
        // Readable text in the committed file: backticks, quotes and "…" as they are, not \u escapes.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    [Fact]
    public async Task The_served_document_is_the_committed_copy()
    {
        var generated = await ServedDocumentAsync();
        if (Environment.GetEnvironmentVariable("UPDATE_OPENAPI") == "1")
            await File.WriteAllTextAsync(CommittedPath, generated.ToJsonString(Indented) + "\n");

        var committed = File.Exists(CommittedPath) ? JsonNode.Parse(await File.ReadAllTextAsync(CommittedPath)) : null;
        // Compared as JSON, so formatting never matters; the message names the first difference.
        var difference = FirstDifference(generated, committed, "$");
        Assert.True(difference is null,
            $"openapi/session-api.json differs from the document the server generates at /openapi/v1.json, at {difference}.\n" +
            "If the change is deliberate, rewrite the committed copy and review its diff:\n" +
            "  UPDATE_OPENAPI=1 dotnet test SessionFunctions.Tests --filter \"FullyQualifiedName~OpenApiTests\"");
    }

    [Fact]
    public async Task Every_route_of_the_endpoint_table_is_one_documented_operation_at_its_method_and_path()
    {
        var document = await ServedDocumentAsync();
        foreach (var route in SessionEndpoints.Routes)
        {
            var operation = document["paths"]?[$"/api/{route.Pattern}"]?[route.Method.ToLowerInvariant()];
            Assert.True(operation is not null,
                $"{route.Method} /api/{route.Pattern} ({route.Name}) is not in the document: give it its case in SessionApiDocumentation.Document " +
                "(SessionFunctions.Core/Http/OpenApi/SessionApiDocumentation.cs), then rewrite openapi/session-api.json with UPDATE_OPENAPI=1.");
            Assert.Equal(route.Name, operation!["operationId"]?.GetValue<string>());
            Assert.False(string.IsNullOrWhiteSpace(operation["summary"]?.GetValue<string>()), $"{route.Name} has no summary.");
            Assert.False(string.IsNullOrWhiteSpace(operation["description"]?.GetValue<string>()), $"{route.Name} has no description.");
            Assert.NotNull(operation["responses"]?["500"]);
            Assert.NotNull(operation["security"]);
        }
        var operations = document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject()).Select(o => o.Value!["operationId"]!.GetValue<string>());
        Assert.Equal(SessionEndpoints.Routes.Select(r => r.Name).Order(), operations.Order());
    }

    [Fact]
    public async Task Every_problem_type_is_documented_and_listed_in_the_problem_type_enum()
    {
        var all = typeof(SessionProblem).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.FieldType == typeof(SessionProblem))
            .Select(f => (SessionProblem)f.GetValue(null)!).ToList();
        var undocumented = all.Where(p => !SessionProblemDocs.All.ContainsKey(p)).Select(p => p.Name).ToList();
        Assert.True(undocumented.Count == 0, $"Problem types without an entry in SessionProblemDocs: {string.Join(", ", undocumented)}.");

        var document = await ServedDocumentAsync();
        var listed = document["components"]!["schemas"]!["ProblemType"]!["enum"]!.AsArray().Select(t => t!.GetValue<string>()).ToList();
        Assert.Equal(all.Select(p => p.Type).Order(), listed.Order());
        Assert.All(listed, type => Assert.StartsWith("urn:sessionfunctions:problem:", type, StringComparison.Ordinal));

        // Each problem response narrows `type` to problem types of its own status.
        var responses = document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject()).SelectMany(o => o.Value!["responses"]!.AsObject());
        foreach (var (status, response) in responses.Where(r => r.Value!["content"]?["application/problem+json"] is not null))
        {
            var types = response!["content"]!["application/problem+json"]!["schema"]!["allOf"]![1]!["properties"]!["type"]!["enum"]!.AsArray();
            Assert.All(types, type => Assert.Equal(status, all.Single(p => p.Type == type!.GetValue<string>()).Status.ToString(CultureInfo.InvariantCulture)));
        }
    }

    [Fact]
    public async Task The_document_describes_the_session_cookie_pair_and_the_override_rules()
    {
        var document = await ServedDocumentAsync();
        var schemes = document["components"]!["securitySchemes"]!;
        Assert.Equal("apiKey", schemes["sessionId"]!["type"]!.GetValue<string>());
        Assert.Equal("cookie", schemes["sessionId"]!["in"]!.GetValue<string>());
        Assert.Equal("koa.sid", schemes["sessionId"]!["name"]!.GetValue<string>());
        Assert.Equal("koa.sid.sig", schemes["sessionSignature"]!["name"]!.GetValue<string>());

        var cookie = document["components"]!["schemas"]!["SessionCookie"]!["properties"]!.AsObject().Select(p => p.Key);
        Assert.Equal(["httpOnly", "path", "overwrite", "signed", "maxAge", "expires", "domain", "sameSite", "secure", "priority", "partitioned"], cookie);

        var overrides = document["components"]!["schemas"]!["CookieOverrides"]!;
        Assert.False(overrides["additionalProperties"]!.GetValue<bool>());
        Assert.Equal(CookieLifetime.MaxMilliseconds, overrides["properties"]!["maxAge"]!["maximum"]!.GetValue<long>());
        Assert.Equal(["lax", "strict", "none", "true", "false", "null"],
            overrides["properties"]!["sameSite"]!["enum"]!.AsArray().Select(v => v?.ToJsonString().Trim('"') ?? "null"));
    }

    [Fact]
    public async Task The_cookie_names_follow_the_configured_key()
    {
        var document = await ServedDocumentAsync(("Session:Key", "app.sid"));
        Assert.Equal("app.sid", document["components"]!["securitySchemes"]!["sessionId"]!["name"]!.GetValue<string>());
        Assert.Equal("app.sid.sig", document["components"]!["securitySchemes"]!["sessionSignature"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_document_is_revalidated_by_caches_and_leaks_no_configuration()
    {
        const string Key = "a-signing-key-that-must-never-be-published";
        using var api = SessionApiFactory.WithMemory(("Session:Keys:0", Key), ("Cors:AllowedOrigins:0", "https://spa.private.example"),
            ("Session:Prefix", "private-prefix:"));
        using var http = api.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://api.internal.example") });
        using var response = await http.GetAsync("/openapi/v1.json");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoCache, "A deployment changes the document: caches must ask again.");
        Assert.DoesNotContain(Key, text, StringComparison.Ordinal);
        Assert.DoesNotContain("spa.private.example", text, StringComparison.Ordinal);
        Assert.DoesNotContain("private-prefix", text, StringComparison.Ordinal);
        Assert.DoesNotContain("api.internal.example", text, StringComparison.Ordinal);
        var servers = JsonNode.Parse(text)!["servers"]!.AsArray();
        Assert.Equal("/", Assert.Single(servers)!["url"]!.GetValue<string>());
    }

    /// <summary>
    /// What the API really answers, operation by operation, is in the document: the status, the problem type among
    /// those the document lists for it, and every header the contract knows of that came with the response.
    /// </summary>
    [Fact]
    public async Task What_the_api_answers_is_what_the_document_says()
    {
        using var api = SessionApiFactory.WithMemory(("Session:MaxBodyBytes", "1024"));
        using var http = api.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false, AllowAutoRedirect = false });
        var document = await ServedDocumentAsync();

        var created = await CheckAsync(document, "CreateSession", http, HttpMethod.Post, json: """{"count":1}""", expected: 201);
        var cookies = string.Join("; ", created.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        var read = await CheckAsync(document, "GetSession", http, HttpMethod.Get, cookies: cookies, expected: 200);
        var etag = read.Headers.ETag!.ToString();
        await CheckAsync(document, "GetSession", http, HttpMethod.Get, cookies: cookies, expected: 304,
            configure: r => r.Headers.TryAddWithoutValidation("If-None-Match", etag));
        await CheckAsync(document, "SaveSession", http, HttpMethod.Put, json: """{"count":2,"cookie":{"maxAge":2592000000}}""", cookies: cookies,
            expected: 200);
        await CheckAsync(document, "SaveSession", http, HttpMethod.Put, json: """{"count":3}""", cookies: cookies, expected: 412,
            configure: r => r.Headers.TryAddWithoutValidation("If-Match", etag));
        await CheckAsync(document, "PatchSession", http, HttpMethod.Patch, json: """{"theme":"dark"}""", mediaType: "application/merge-patch+json",
            cookies: cookies, expected: 200);
        await CheckAsync(document, "PatchSession", http, HttpMethod.Patch, json: """{"theme":"dark"}""", cookies: cookies, expected: 415);
        await CheckAsync(document, "PatchSession", http, HttpMethod.Patch, json: "{}", mediaType: "application/merge-patch+json", expected: 404);
        await CheckAsync(document, "SaveSession", http, HttpMethod.Put, json: """{"count":1}""", expected: 201);
        var regenerated = await CheckAsync(document, "RegenerateSession", http, HttpMethod.Post, "/api/session/regenerate", cookies: cookies, expected: 200);
        cookies = string.Join("; ", regenerated.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        await CheckAsync(document, "RemoveSession", http, HttpMethod.Delete, cookies: cookies, expected: 204);

        // The removed session's cookies are now stale: 404 with the clearing pair.
        await CheckAsync(document, "GetSession", http, HttpMethod.Get, cookies: cookies, expected: 404);
        await CheckAsync(document, "RegenerateSession", http, HttpMethod.Post, "/api/session/regenerate", expected: 404);
        await CheckAsync(document, "SaveSession", http, HttpMethod.Put, expected: 400);
        await CheckAsync(document, "SaveSession", http, HttpMethod.Put, json: """{"count":""", expected: 400);
        await CheckAsync(document, "SaveSession", http, HttpMethod.Put, json: "[1]", expected: 400);
        await CheckAsync(document, "SaveSession", http, HttpMethod.Put, json: """{"cookie":{"maxAge":-1}}""", expected: 400);
        await CheckAsync(document, "CreateSession", http, HttpMethod.Post, json: "{}", mediaType: "text/plain", expected: 415);
        await CheckAsync(document, "CreateSession", http, HttpMethod.Post, json: $$"""{"text":"{{new string('x', 2000)}}"}""", expected: 413);
        await CheckAsync(document, "RemoveSession", http, HttpMethod.Delete, crossSite: true, expected: 403);
        await CheckAsync(document, "RemoveSession", http, HttpMethod.Delete, expected: 412, configure: r => r.Headers.TryAddWithoutValidation("If-Match", "*"));
    }

    [Fact]
    public async Task A_store_outage_answers_as_the_document_says()
    {
        var store = new Mock<ISessionStore>();
        store.SetReturnsDefault(Task.FromException<bool>(new SessionStoreUnavailableException("down")));
        using var api = SessionApiFactory.WithMemory(services => services.AddSingleton(store.Object), ("Session:ReconnectTimeout", "100"));
        using var http = api.CreateClient(new WebApplicationFactoryClientOptions { HandleCookies = false });

        var response = await CheckAsync(await ServedDocumentAsync(), "CreateSession", http, HttpMethod.Post, json: """{"count":1}""", expected: 503);
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task The_committed_document_passes_redocly_lint()
    {
        var directory = RepositoryFiles.PathOf("openapi");
        var cli = Path.Combine(directory, "node_modules", "@redocly", "cli", "bin", "cli.js");
        if (!File.Exists(cli)) throw new InvalidOperationException($"@redocly/cli is not installed: run `npm ci` in {directory} (bash test.sh does).");

        // redocly.yaml beside the document: the recommended rules, every warning an error.
        var start = new ProcessStartInfo("node", [cli, "lint", "session-api.json"])
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["REDOCLY_TELEMETRY"] = "off";
        start.Environment["REDOCLY_SUPPRESS_NOTIFICATIONS"] = "true";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"redocly lint openapi/session-api.json failed:\n{await output}\n{await errors}");
    }

    private static async Task<JsonNode> ServedDocumentAsync(params (string Key, string? Value)[] settings)
    {
        using var api = SessionApiFactory.WithMemory(settings);
        using var http = api.CreateClient();
        using var response = await http.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>Sends one request and checks its answer against the operation's documentation.</summary>
    private static async Task<HttpResponseMessage> CheckAsync(JsonNode document, string operationId, HttpClient http, HttpMethod method,
        string path = "/api/session", string? json = null, string? cookies = null, string mediaType = "application/json", bool crossSite = false,
        int expected = 200, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(method, path);
        configure?.Invoke(request);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue(mediaType));
        if (cookies is not null) request.Headers.Add("Cookie", cookies);
        if (crossSite)
        {
            request.Headers.Add("Sec-Fetch-Site", "cross-site");
            request.Headers.Add("Origin", "https://evil.example");
        }
        var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var status = (int)response.StatusCode;
        var what = $"{operationId} ({method} {path}) answered {status} {body}";
        Assert.True(status == expected, $"{what}; the test expected {expected}.");

        var operation = document["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject())
            .Select(o => o.Value!).Single(o => o["operationId"]?.GetValue<string>() == operationId);
        var documented = operation["responses"]![status.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        Assert.True(documented is not null, $"{what}, a status its documentation does not list.");

        var headers = documented!["headers"]?.AsObject().Select(h => h.Key).ToHashSet(StringComparer.OrdinalIgnoreCase) ?? [];
        foreach (var name in new[] { "Cache-Control", "Set-Cookie", "Retry-After", "Allow", "Clear-Site-Data", "ETag", "Accept-Patch" })
        {
            var sent = response.Headers.NonValidated.Contains(name) || response.Content.Headers.NonValidated.Contains(name);
            Assert.True(!sent || headers.Contains(name), $"{what} with {name}, a header its documentation does not list for {status}.");
        }

        if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
        {
            var type = JsonNode.Parse(body)!["type"]!.GetValue<string>();
            var types = documented["content"]!["application/problem+json"]!["schema"]!["allOf"]![1]!["properties"]!["type"]!["enum"]!.AsArray()
                .Select(t => t!.GetValue<string>());
            Assert.True(types.Contains(type), $"{what}: {type} is not among the problem types documented for {status}: {string.Join(", ", types)}.");
        }
        else if (body.Length > 0)
        {
            Assert.NotNull(documented["content"]?["application/json"]);
        }
        return response;
    }

    /// <summary>The JSON path of the first difference between two documents, or null when they are equal.</summary>
    private static string? FirstDifference(JsonNode? expected, JsonNode? actual, string path)
    {
        switch (expected, actual)
        {
            case (JsonObject e, JsonObject a):
                foreach (var (name, value) in e)
                {
                    if (!a.TryGetPropertyValue(name, out var other)) return $"{path}.{name} (missing from the committed copy)";
                    if (FirstDifference(value, other, $"{path}.{name}") is { } inner) return inner;
                }
                return a.Select(p => p.Key).FirstOrDefault(name => !e.ContainsKey(name)) is { } extra ? $"{path}.{extra} (only in the committed copy)" : null;
            case (JsonArray e, JsonArray a):
                for (var i = 0; i < Math.Min(e.Count, a.Count); i++)
                    if (FirstDifference(e[i], a[i], $"{path}[{i}]") is { } inner) return inner;
                return e.Count == a.Count ? null : $"{path} ({e.Count} items generated, {a.Count} committed)";
            default:
                return JsonNode.DeepEquals(expected, actual)
                    ? null
                    : $"{path} (generated {expected?.ToJsonString() ?? "nothing"}, committed {actual?.ToJsonString() ?? "nothing"})";
        }
    }
}
