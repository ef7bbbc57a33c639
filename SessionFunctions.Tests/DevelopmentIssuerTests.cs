using System.Buffers.Text;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>
/// The standalone server's development issuer (<c>Session:Login:DevelopmentIssuer</c>): in Development it makes a key,
/// <c>Session:Login</c> trusts only that key, and <c>POST /dev/id-token</c> signs short-lived ID tokens that the verified
/// login accepts. Outside Development the server refuses to start with it; off, the endpoint is not there. Names and
/// paths are spelled out here, not taken from the server, so that a change to them fails a test.
/// </summary>
public sealed class DevelopmentIssuerTests
{
    private const string Setting = "Session:Login:DevelopmentIssuer";
    private const string TokenPath = "/dev/id-token";

    /// <summary>
    /// The server in Development with the issuer on and the user index at <c>/user/id</c>, as <c>dotnet run</c> starts it
    /// (its appsettings.Development.json is read too, but these tests say what they rely on), and no opt-out.
    /// </summary>
    private static SessionApiFactory Development(CollectingLoggerProvider? logs = null, TimeProvider? clock = null) => new(
        SessionApiFactory.Settings([(Setting, "true"), ("Session:UserIdPath", "/user/id"), ("Session:DangerouslyTrustClientsWithUserId", "false")]),
        services =>
        {
            if (logs is not null) services.AddSingleton<ILoggerProvider>(logs);
            if (clock is not null) services.AddSingleton(clock);
        },
        "Development");

    private static async Task<(HttpResponseMessage Response, JsonObject? Body)> TokenAsync(SessionApiFactory api, string json, string mediaType = "application/json")
    {
        using var http = api.CreateClient();
        var response = await http.PostAsync(TokenPath, new StringContent(json, Encoding.UTF8, mediaType));
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length > 0 ? JsonNode.Parse(text) as JsonObject : null);
    }

    private static async Task<string> IdTokenAsync(SessionApiFactory api, string user)
    {
        var (response, body) = await TokenAsync(api, $$"""{"user":"{{user}}"}""");
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return body!["idToken"]!.GetValue<string>();
    }

    private static Task<SessionResponse> LoginAsync(SessionClient client, string token) =>
        client.SendAsync(HttpMethod.Post, "/api/session/regenerate", null, request => request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token));

    private static void AssertInvalidToken(SessionResponse answer, string detail)
    {
        Assert.True(answer.Status == 401, $"{answer.Status}: {answer.Body}");
        Assert.Equal("urn:sessionfunctions:problem:invalid-token", answer.ProblemType);
        Assert.Equal("Bearer error=\"invalid_token\"", answer.Headers.WwwAuthenticate.ToString());
        Assert.Contains(detail, answer.Json["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(answer.SetCookies);
    }

    private static string NewUser(string name) => name + "-" + Guid.NewGuid().ToString("N")[..8];

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    [InlineData("Testing")]
    public async Task Outside_development_the_server_refuses_to_start_with_it_naming_the_setting(string environment)
    {
        var (exitCode, output) = await ConfigurationTests.RunServerAsync(environment, ("Session__Keys__0", "k"), ("Session__Login__DevelopmentIssuer", "true"));
        Assert.NotEqual(0, exitCode);
        Assert.Contains($"{Setting}: the development issuer signs an ID token for any user name that asks, so it runs only in the Development " +
                        $"environment, not in '{environment}'.", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening on", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Beside_a_configured_login_it_refuses_to_start_naming_what_to_unset()
    {
        var (exitCode, output) = await ConfigurationTests.RunServerAsync("Development", ("Session__Login__DevelopmentIssuer", "true"),
            ("Session__Login__Authority", "https://login.example/tenant/v2.0"), ("Session__Login__Audiences__0", "spa"));
        Assert.NotEqual(0, exitCode);
        Assert.Contains($"{Setting}: sets Session:Login to trust the development issuer only, so Session:Login:Authority, Session:Login:Audiences must be unset",
            output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_from_it_logs_in_under_a_new_sid_with_the_user_id_and_the_index_follows()
    {
        var logs = new CollectingLoggerProvider();
        using var api = Development(logs);
        using var client = api.CreateSessionClient();
        Assert.Equal(201, (await client.PostAsync(json: """{"cart":[1,2]}""")).Status);
        var before = client.Jar["koa.sid"];
        var ada = NewUser("ada");

        var (response, body) = await TokenAsync(api, $$"""{"user":"{{ada}}"}""");
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal(300, body!["expiresIn"]!.GetValue<int>());
        var token = new JsonWebToken(body["idToken"]!.GetValue<string>());
        Assert.Equal("ES256", token.Alg);
        Assert.Equal(ada, token.Subject);
        Assert.Equal("urn:sessionfunctions:development-issuer", token.Issuer);
        Assert.Equal(["urn:sessionfunctions:demo-spa"], token.Audiences);
        Assert.InRange(token.ValidTo - token.ValidFrom, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(5));

        var login = await LoginAsync(client, token.EncodedToken);

        Assert.True(login.Status == 200, $"{login.Status}: {login.Body}");
        Assert.NotEqual(before, client.Jar["koa.sid"]);
        Assert.Equal(ada, login.Json["user"]!["id"]!.GetValue<string>());
        Assert.Equal(2, login.Json["cart"]!.AsArray().Count);
        var sessions = (await client.GetAsync("/api/session/all")).Json["sessions"]!.AsArray();
        Assert.True(Assert.Single(sessions)!["current"]!.GetValue<bool>());
        // A browser still cannot write who the user is: the opt-out is not what made the login work.
        Assert.Equal(403, (await client.PatchAsync("""{"user":{"id":"mallory"}}""")).Status);
        var warning = Assert.Single(logs.Entries, e => e.Event.Name == "DevelopmentIssuerOn");
        Assert.Equal(LogLevel.Warning, warning.Level);
    }

    [Fact]
    public async Task A_forged_tampered_or_expired_token_gets_401_invalid_token_and_changes_nothing()
    {
        using var api = Development();
        using var client = api.CreateSessionClient();
        Assert.Equal(201, (await client.PostAsync(json: """{"n":1}""")).Status);
        var sid = client.Jar["koa.sid"];

        // Another server's issuer (and so this one's after a restart): its own key, the same issuer and audience.
        using (var other = Development())
            AssertInvalidToken(await LoginAsync(client, await IdTokenAsync(other, "ada")), "signature does not verify");

        // Its own claims, forged: the same header and key, another payload, hand-signed with a key of the forger's.
        using var forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "urn:sessionfunctions:development-issuer",
            Audience = "urn:sessionfunctions:demo-spa",
            Expires = DateTime.UtcNow.AddMinutes(5),
            Claims = new Dictionary<string, object> { ["sub"] = "admin" },
            SigningCredentials = new SigningCredentials(new ECDsaSecurityKey(forger), SecurityAlgorithms.EcdsaSha256),
        });
        AssertInvalidToken(await LoginAsync(client, forged), "signature does not verify");

        // A genuine token whose payload is altered (sub: admin), its signature kept.
        var parts = (await IdTokenAsync(api, "ada")).Split('.');
        var payload = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!;
        payload["sub"] = "admin";
        var tampered = $"{parts[0]}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.ToJsonString()))}.{parts[2]}";
        AssertInvalidToken(await LoginAsync(client, tampered), "signature does not verify");

        // Expired: issued by an issuer whose clock is 7 minutes behind, so it ended 2 minutes ago, past the 60 s skew.
        using (var late = Development(clock: new ManualTimeProvider(DateTimeOffset.UtcNow.AddMinutes(-7))))
        using (var lateClient = late.CreateSessionClient())
        {
            var expired = await IdTokenAsync(late, "ada");
            Assert.True(new JsonWebToken(expired).ValidTo < DateTime.UtcNow.AddMinutes(-1));
            AssertInvalidToken(await LoginAsync(lateClient, expired), "The token is expired.");
        }

        Assert.Equal(sid, client.Jar["koa.sid"]);
        var read = await client.GetAsync();
        Assert.Equal(200, read.Status);
        Assert.Null(read.Json["user"]);
    }

    [Theory]
    [InlineData("""{"user":""}""", "application/json", 400, "bad-request")]
    [InlineData("""{"user":"   "}""", "application/json", 400, "bad-request")]
    [InlineData("""{"user":42}""", "application/json", 400, "bad-request")]
    [InlineData("""{"name":"ada"}""", "application/json", 400, "bad-request")]
    [InlineData("""{"user":"a\u0000b"}""", "application/json", 400, "bad-request")]
    [InlineData("""{"user":""", "application/json", 400, "invalid-json")]
    [InlineData("""{"user":"ada"}""", "text/plain", 415, "unsupported-media-type")]
    public async Task A_bad_token_request_is_a_problem_and_issues_nothing(string body, string mediaType, int status, string type)
    {
        using var api = Development();
        var (response, problem) = await TokenAsync(api, body, mediaType);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("urn:sessionfunctions:problem:" + type, problem!["type"]!.GetValue<string>());
        Assert.Null(problem["idToken"]);
    }

    [Fact]
    public async Task A_name_longer_than_100_characters_is_refused()
    {
        using var api = Development();
        Assert.Equal(200, (int)(await TokenAsync(api, $$"""{"user":"{{new string('a', 100)}}"}""")).Response.StatusCode);
        Assert.Equal(400, (int)(await TokenAsync(api, $$"""{"user":"{{new string('a', 101)}}"}""")).Response.StatusCode);
    }

    [Fact]
    public async Task It_is_not_in_the_openapi_document()
    {
        using var api = Development();
        using var http = api.CreateClient();
        var served = JsonNode.Parse(await http.GetStringAsync("/openapi/v1.json"))!;
        var committed = JsonNode.Parse(RepositoryFiles.Read("openapi", "session-api.json"))!;
        Assert.DoesNotContain("/dev/", served.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(committed["paths"]!.AsObject().Select(p => p.Key), served["paths"]!.AsObject().Select(p => p.Key));
    }

    [Theory]
    [InlineData("Testing", null)]
    [InlineData("Testing", "false")]
    [InlineData("Production", "false")]
    public async Task Off_there_is_no_token_endpoint_and_a_bearer_token_is_refused(string environment, string? setting)
    {
        using var api = new SessionApiFactory(SessionApiFactory.Settings([(Setting, setting)]), environment: environment);
        var (response, _) = await TokenAsync(api, """{"user":"ada"}""");
        Assert.Equal(404, (int)response.StatusCode);

        using var client = api.CreateSessionClient();
        using var issuing = Development();
        AssertInvalidToken(await LoginAsync(client, await IdTokenAsync(issuing, "ada")), "Session:Login is not configured");
    }
}
