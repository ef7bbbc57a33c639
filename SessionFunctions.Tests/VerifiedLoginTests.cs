using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SessionFunctions.Configuration;
using SessionFunctions.Tests.Infrastructure;
using StackExchange.Redis;

namespace SessionFunctions.Tests;

/// <summary>
/// Who the user is (security review H1): a browser cannot write the protected fields, and only a verified ID token
/// (<c>POST /api/session/regenerate</c> with <c>Authorization: Bearer</c>) puts a user there; through HTTP against a real
/// redis-server, with a test issuer whose RSA key is made here.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class VerifiedLoginTests(RedisServer redis) : IDisposable
{
    private const string Issuer = "https://issuer.test/tenant";
    private const string Audience = "spa-client-id";

    private readonly RSA _issuerKey = RSA.Create(2048);
    private readonly RSA _otherKey = RSA.Create(2048);

    // Keys of their own: the server outlives a test.
    private readonly string _prefix = "trust-" + Guid.NewGuid().ToString("N")[..8] + ":";

    public void Dispose()
    {
        _issuerKey.Dispose();
        _otherKey.Dispose();
    }

    private SessionApiFactory Api(params (string Key, string? Value)[] settings) => SessionApiFactory.WithRedis(redis,
    [
        ("Session:Prefix", _prefix),
        ("Session:UserIdPath", "/user/id"),
        ("Session:Login:SigningKeys:0", _issuerKey.ExportSubjectPublicKeyInfoPem()),
        ("Session:Login:Issuers:0", Issuer),
        ("Session:Login:Audiences:0", Audience),
        .. settings,
    ]);

    private static SecurityTokenDescriptor Descriptor(RSA key, string oid, DateTime? notBefore = null, DateTime? expires = null,
        string issuer = Issuer, string audience = Audience) => new()
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = (notBefore ?? DateTime.UtcNow).AddMinutes(-1),
            NotBefore = notBefore ?? DateTime.UtcNow.AddMinutes(-1),
            Expires = expires ?? DateTime.UtcNow.AddMinutes(10),
            Claims = new Dictionary<string, object> { ["oid"] = oid, ["sub"] = "pairwise-" + oid, ["name"] = "Ada" },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key), SecurityAlgorithms.RsaSha256),
        };

    private static string Token(SecurityTokenDescriptor descriptor) => new JsonWebTokenHandler().CreateToken(descriptor);

    private static string NewUser(string name) => name + "-" + Guid.NewGuid().ToString("N")[..8];

    private static Action<HttpRequestMessage> Bearer(string token) => request => request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);

    private static Task<SessionResponse> LoginAsync(SessionClient client, string token, string? json = null) =>
        client.SendAsync(HttpMethod.Post, "/api/session/regenerate", json, Bearer(token));

    /// <summary>Every key of this test and what it holds: strings, and the user index's hashes.</summary>
    private async Task<SortedDictionary<string, string>> SnapshotAsync()
    {
        var server = redis.Database.Multiplexer.GetServers()[0];
        var snapshot = new SortedDictionary<string, string>(StringComparer.Ordinal);
        await foreach (var key in server.KeysAsync(pattern: _prefix + "*"))
        {
            snapshot[key!] = await redis.Database.KeyTypeAsync(key) == RedisType.Hash
                ? string.Join(";", (await redis.Database.HashGetAllAsync(key)).Select(e => $"{e.Name}={e.Value}").Order(StringComparer.Ordinal))
                : (string?)await redis.Database.StringGetAsync(key) ?? "";
        }
        return snapshot;
    }

    private static void AssertRefused(SessionResponse answer, string detail)
    {
        Assert.True(answer.Status == 401, $"{answer.Status}: {answer.Body}");
        Assert.Equal("urn:sessionfunctions:problem:invalid-token", answer.ProblemType);
        Assert.Equal("Bearer error=\"invalid_token\"", answer.Headers.WwwAuthenticate.ToString());
        Assert.Contains(detail, answer.Json["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(answer.SetCookies);
    }

    [Fact]
    public async Task A_valid_id_token_logs_the_user_in_under_a_new_sid_and_the_index_follows()
    {
        using var api = Api();
        using var client = api.CreateSessionClient();
        var ada = NewUser("ada");
        Assert.Equal(201, (await client.PostAsync(json: """{"cart":[1,2]}""")).Status);
        var before = client.Jar["koa.sid"];

        var login = await LoginAsync(client, Token(Descriptor(_issuerKey, ada)));

        Assert.True(login.Status == 200, $"{login.Status}: {login.Body}");
        var after = client.Jar["koa.sid"];
        Assert.NotEqual(before, after);
        Assert.False(await redis.Database.KeyExistsAsync(_prefix + before));
        var stored = JsonNode.Parse((string)(await redis.Database.StringGetAsync(_prefix + after))!)!;
        Assert.Equal(ada, stored["user"]!["id"]!.GetValue<string>());
        Assert.Equal(2, stored["cart"]!.AsArray().Count);
        var sessions = (await client.GetAsync("/api/session/all")).Json["sessions"]!.AsArray();
        Assert.True(Assert.Single(sessions)!["current"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_login_without_a_session_creates_one_and_a_second_login_replaces_the_previous_user_entirely()
    {
        using var api = Api(("Session:Login:Claims:/user/id", "oid sub"), ("Session:Login:Claims:/user/name", "name"));
        using var client = api.CreateSessionClient();
        var first = await LoginAsync(client, Token(Descriptor(_issuerKey, NewUser("ada"))));
        Assert.True(first.Status == 201, $"{first.Status}: {first.Body}");
        Assert.Equal("Ada", first.Json["user"]!["name"]!.GetValue<string>());

        var bob = NewUser("bob");
        var descriptor = Descriptor(_issuerKey, bob);
        descriptor.Claims.Remove("name");
        var second = await LoginAsync(client, Token(descriptor));
        Assert.Equal(200, second.Status);
        Assert.True(JsonNode.DeepEquals(new JsonObject { ["id"] = bob }, second.Json["user"]));
    }

    public static TheoryData<string, string> BadTokens => new()
    {
        { "expired", "expired" },
        { "not yet valid", "not valid yet" },
        { "wrong audience", "another audience" },
        { "wrong issuer", "another issuer" },
        { "wrong key", "signature" },
        { "alg none", "signature" },
        { "tampered payload", "signature" },
        { "garbage", "well-formed" },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task A_token_that_does_not_validate_is_a_401_and_changes_nothing(string kind, string detail)
    {
        using var api = Api();
        using var client = api.CreateSessionClient();
        var victim = NewUser("victim");
        Assert.Equal(201, (await client.PostAsync(json: """{"count":1}""")).Status);
        var jar = new Dictionary<string, string>(client.Jar);
        var before = await SnapshotAsync();

        var now = DateTime.UtcNow;
        var token = kind switch
        {
            "expired" => Token(Descriptor(_issuerKey, victim, notBefore: now.AddHours(-2), expires: now.AddHours(-1))),
            "not yet valid" => Token(Descriptor(_issuerKey, victim, notBefore: now.AddHours(1), expires: now.AddHours(2))),
            "wrong audience" => Token(Descriptor(_issuerKey, victim, audience: "another-client")),
            "wrong issuer" => Token(Descriptor(_issuerKey, victim, issuer: "https://evil.test/")),
            "wrong key" => Token(Descriptor(_otherKey, victim)),
            "alg none" => Unsigned(victim),
            "tampered payload" => Tampered(Token(Descriptor(_issuerKey, NewUser("nobody"))), victim),
            _ => "not.a-jwt",
        };
        var answer = await LoginAsync(client, token);

        AssertRefused(answer, detail);
        Assert.Equal(before, await SnapshotAsync());
        Assert.Equal(jar, client.Jar);
        Assert.Null((await client.GetAsync()).Json["user"]);
    }

    /// <summary>The same claims, with <c>alg: none</c> and no signature.</summary>
    private static string Unsigned(string oid)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = Base64Url.EncodeToString("""{"alg":"none","typ":"JWT"}"""u8);
        var payload = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            $$"""{"iss":"{{Issuer}}","aud":"{{Audience}}","oid":"{{oid}}","nbf":{{now - 60}},"iat":{{now - 60}},"exp":{{now + 600}}}"""));
        return header + "." + payload + ".";
    }

    /// <summary>A signed token whose payload now names <paramref name="oid"/>, its signature left as it was.</summary>
    private static string Tampered(string token, string oid)
    {
        var parts = token.Split('.');
        var payload = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]))!;
        payload["oid"] = oid;
        return parts[0] + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.ToJsonString())) + "." + parts[2];
    }

    [Fact]
    public async Task A_bearer_token_without_a_configured_login_is_refused()
    {
        using var api = SessionApiFactory.WithRedis(redis, ("Session:Prefix", _prefix));
        using var client = api.CreateSessionClient();
        Assert.Equal(201, (await client.PostAsync(json: """{"count":1}""")).Status);
        AssertRefused(await LoginAsync(client, Token(Descriptor(_issuerKey, "ada"))), "Session:Login is not configured");
    }

    [Fact]
    public async Task H1_a_browser_cannot_claim_another_users_id_nor_list_or_sign_out_their_devices()
    {
        using var api = Api();
        using var victim = api.CreateSessionClient();
        using var attacker = api.CreateSessionClient();
        var id = NewUser("victim");
        Assert.Equal(201, (await LoginAsync(victim, Token(Descriptor(_issuerKey, id)))).Status);
        var before = await SnapshotAsync();

        var takeover = await attacker.PostAsync(json: $$$"""{"user":{"id":"{{{id}}}"}}""");

        Assert.True(takeover.Status == 403, $"{takeover.Status}: {takeover.Body}");
        Assert.Equal("urn:sessionfunctions:problem:protected-field", takeover.ProblemType);
        Assert.Contains("/user", takeover.Json["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(takeover.SetCookies);
        Assert.Equal(before, await SnapshotAsync());
        var list = await attacker.GetAsync("/api/session/all");
        Assert.Equal(404, list.Status);
        Assert.DoesNotContain(id, list.Body, StringComparison.Ordinal);
        Assert.Equal(404, (await attacker.SendAsync(HttpMethod.Delete, "/api/session/others", null, null)).Status);
        Assert.Equal(id, (await victim.GetAsync()).Json["user"]!["id"]!.GetValue<string>());
        Assert.Single((await victim.GetAsync("/api/session/all")).Json["sessions"]!.AsArray());

        // Nor through a session of the attacker's own, by any verb.
        Assert.Equal(201, (await attacker.PostAsync(json: """{"count":1}""")).Status);
        var own = await SnapshotAsync();
        Assert.Equal(403, (await attacker.PutAsync($$$"""{"count":1,"user":{"id":"{{{id}}}"}}""")).Status);
        Assert.Equal(403, (await attacker.PatchAsync($$$"""{"user":{"id":"{{{id}}}"}}""")).Status);
        Assert.Equal(403, (await attacker.RegenerateAsync($$$"""{"user":{"id":"{{{id}}}"}}""")).Status);
        Assert.Equal(own, await SnapshotAsync());
    }

    [Fact]
    public async Task A_logged_in_user_keeps_the_user_through_saves_that_leave_it_out_or_send_it_unchanged_but_cannot_change_it()
    {
        using var api = Api();
        using var client = api.CreateSessionClient();
        var id = NewUser("ada");
        Assert.Equal(201, (await LoginAsync(client, Token(Descriptor(_issuerKey, id)))).Status);
        var user = new JsonObject { ["id"] = id };

        var put = await client.PutAsync("""{"count":2}""");
        Assert.Equal(200, put.Status);
        Assert.True(JsonNode.DeepEquals(user, put.Json["user"]));
        Assert.Equal(2, put.Json["count"]!.GetValue<int>());
        Assert.Equal(200, (await client.PutAsync($$$"""{"count":3,"user":{"id":"{{{id}}}"}}""")).Status);
        var patch = await client.PatchAsync("""{"count":4}""");
        Assert.Equal(200, patch.Status);
        Assert.True(JsonNode.DeepEquals(user, patch.Json["user"]));
        Assert.Equal(200, (await client.PatchAsync($$$"""{"user":{"id":"{{{id}}}"}}""")).Status);
        var regenerated = await client.RegenerateAsync("""{"step":"checkout"}""");
        Assert.Equal(200, regenerated.Status);
        Assert.True(JsonNode.DeepEquals(user, regenerated.Json["user"]));
        Assert.Null(regenerated.Json["count"]);

        var before = await SnapshotAsync();
        foreach (var (method, body) in new[]
        {
            ("PATCH", """{"user":null}"""),
            ("PATCH", """{"user":{"role":"admin"}}"""),
            ("PUT", """{"user":"ada"}"""),
            ("PUT", """{"user":{}}"""),
        })
        {
            var answer = method == "PUT" ? await client.PutAsync(body) : await client.PatchAsync(body);
            Assert.True(answer.Status == 403, $"{method} {body}: {answer.Status} {answer.Body}");
            Assert.Equal("urn:sessionfunctions:problem:protected-field", answer.ProblemType);
        }
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task A_koa_login_cannot_be_impersonated_through_the_api()
    {
        // No user index here: /user is protected by default, as a Koa app keeps ctx.session.user server-side.
        var keys = new[] { "keys", "keykeys" };
        await using var koa = await KoaApp.StartAsync(redis.Port, keys);
        using var api = SessionApiFactory.WithRedis(redis);
        var jar = new Dictionary<string, string>(StringComparer.Ordinal);
        using var koaClient = koa.CreateClient(jar);
        using var ours = api.CreateSessionClient(jar: jar);
        var login = await koaClient.SendAsync(HttpMethod.Post, "/session/regenerate", """{"user":{"id":"ada","role":"user"}}""", null);
        Assert.Equal(200, login.Status);
        var key = "koa:sess:" + jar["koa.sid"];
        var stored = (string?)await redis.Database.StringGetAsync(key);

        var impersonation = await ours.PatchAsync("""{"user":{"id":"admin"}}""");

        Assert.True(impersonation.Status == 403, $"{impersonation.Status}: {impersonation.Body}");
        Assert.Equal("urn:sessionfunctions:problem:protected-field", impersonation.ProblemType);
        Assert.Equal(stored, (string?)await redis.Database.StringGetAsync(key));
        var read = await koaClient.GetAsync("/session");
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"id":"ada","role":"user"}"""), read.Json["session"]!["user"]));

        // The SPA's own fields still go through, and Koa's user stays.
        Assert.Equal(200, (await ours.PatchAsync("""{"theme":"dark"}""")).Status);
        Assert.Equal("ada", (await koaClient.GetAsync("/session")).Json["session"]!["user"]!["id"]!.GetValue<string>());
        Assert.Equal(0, await koa.StopAsync());
    }

    /// <summary>What resolving the options throws, as the host does at startup (ValidateOnStart).</summary>
    private static string? StartupError(params (string Key, string? Value)[] settings)
    {
        var values = new Dictionary<string, string?> { ["Session:Keys:0"] = "keys" };
        foreach (var (key, value) in settings) values[key] = value;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSessionApi(configuration);
        using var provider = services.BuildServiceProvider();
        try
        {
            _ = provider.GetRequiredService<IOptions<SessionApiOptions>>().Value;
            return null;
        }
        catch (OptionsValidationException error)
        {
            return error.Message;
        }
    }

    [Fact]
    public void A_user_index_without_a_verified_login_or_with_the_user_id_unprotected_stops_the_app_unless_the_danger_is_named()
    {
        Assert.Contains("Session:UserIdPath:", StartupError(("Session:UserIdPath", "/user/id")));
        Assert.Contains("Session:DangerouslyTrustClientsWithUserId", StartupError(("Session:UserIdPath", "/user/id")));
        (string Key, string? Value)[] login =
        [
            ("Session:UserIdPath", "/user/id"),
            ("Session:Login:SigningKeys:0", _issuerKey.ExportSubjectPublicKeyInfoPem()),
            ("Session:Login:Issuers:0", Issuer),
            ("Session:Login:Audiences:0", Audience),
        ];
        Assert.Null(StartupError(login));
        Assert.Contains("Session:ProtectedPaths:", StartupError([.. login, ("Session:ProtectedPaths:0", "/profile")]));
        Assert.Null(StartupError(("Session:UserIdPath", "/user/id"), ("Session:DangerouslyTrustClientsWithUserId", "true")));

        Assert.Contains("Session:Login:Algorithms:", StartupError([.. login, ("Session:Login:Algorithms:0", "none")]));
        Assert.Contains("Session:Login:Algorithms:", StartupError([.. login, ("Session:Login:Algorithms:0", "HS256")]));
        Assert.Contains("Session:Login:SigningKeys:0:", StartupError([.. login, ("Session:Login:SigningKeys:0", "not a key")]));
        Assert.Contains("Session:Login:SigningKeys:0:", StartupError([.. login, ("Session:Login:SigningKeys:0", _issuerKey.ExportPkcs8PrivateKeyPem())]));
        var privateJwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_issuerKey.ExportParameters(includePrivateParameters: true)));
        Assert.Contains("Session:Login:SigningKeys:0:", StartupError([.. login, ("Session:Login:SigningKeys:0",
            $$"""{"kty":"RSA","n":"{{privateJwk.N}}","e":"{{privateJwk.E}}","d":"{{privateJwk.D}}","p":"{{privateJwk.P}}","q":"{{privateJwk.Q}}"}""")]));
        var publicJwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_issuerKey.ExportParameters(includePrivateParameters: false)));
        Assert.Null(StartupError([.. login, ("Session:Login:SigningKeys:0", $$"""{"kty":"RSA","n":"{{publicJwk.N}}","e":"{{publicJwk.E}}"}""")]));
        Assert.Contains("Session:Login:Audiences:", StartupError([.. login, ("Session:Login:Audiences:0", null)]));
        Assert.Contains("Session:Login:Claims:", StartupError([.. login, ("Session:Login:Claims:/profile/id", "sub")]));
        Assert.Contains("Session:Login:Authority:", StartupError([.. login, ("Session:Login:Authority", "http://idp.example")]));
    }
}
