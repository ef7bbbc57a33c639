using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SessionFunctions.Configuration;
using SessionFunctions.Http;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>CSRF protection (Fetch Metadata, then Origin/Referer), CORS with credentials, and the logout headers.</summary>
public sealed class CrossSiteTests : IDisposable
{
    private const string Spa = "https://app.example.com";
    private readonly SessionApiFactory _api = SessionApiFactory.WithMemory(("Cors:AllowedOrigins:0", Spa + ", https://other.example.com"));

    public void Dispose() => _api.Dispose();

    private async Task<SessionClient> WithSessionAsync()
    {
        var client = _api.CreateSessionClient();
        Assert.Equal(201, (await client.PostAsync(json: """{"count":1}""")).Status);
        return client;
    }

    private static Action<HttpRequestMessage> Headers(params (string Name, string Value)[] headers) =>
        request => { foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value); };

    [Theory]
    [InlineData("cross-site", "https://evil.example")]
    [InlineData("same-site", "https://evil.example.com")]
    [InlineData("cross-site", "null")]
    [InlineData("cross-site", null)]
    public async Task Cross_site_state_changes_from_unknown_origins_are_403(string site, string? origin)
    {
        var client = await WithSessionAsync();
        var headers = origin is null ? Headers(("Sec-Fetch-Site", site)) : Headers(("Sec-Fetch-Site", site), ("Origin", origin));
        foreach (var response in new[]
                 {
                     await client.PostAsync(json: "{}", configure: headers),
                     await client.PutAsync("""{"count":9}""", configure: headers),
                     await client.SendAsync(HttpMethod.Delete, "/api/session", null, headers),
                     await client.SendAsync(HttpMethod.Post, "/api/session/regenerate", null, headers),
                 })
        {
            Assert.Equal(403, response.Status);
            Assert.Equal(SessionProblem.CrossSiteRequest.Type, response.ProblemType);
            Assert.Empty(response.SetCookies);
        }
        Assert.Equal(1, (await client.GetAsync()).Json["count"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("cross-site", Spa)]
    [InlineData("cross-site", "https://OTHER.example.com")]
    [InlineData("same-origin", "http://localhost")]
    [InlineData("same-site", Spa)]
    [InlineData("none", null)]
    public async Task Allowed_browser_requests_pass(string site, string? origin)
    {
        var client = await WithSessionAsync();
        var headers = origin is null ? Headers(("Sec-Fetch-Site", site)) : Headers(("Sec-Fetch-Site", site), ("Origin", origin));
        Assert.Equal(200, (await client.PutAsync("""{"count":2}""", configure: headers)).Status);
    }

    [Theory]
    [InlineData("Origin", "https://evil.example", 403)]
    [InlineData("Origin", "null", 403)]
    [InlineData("Referer", "https://evil.example/page?x=1", 403)]
    [InlineData("Origin", Spa, 200)]
    [InlineData("Origin", "http://localhost", 200)]
    [InlineData("Referer", "http://localhost/index.html", 200)]
    [InlineData("Referer", "https://app.example.com/deep/page", 200)]
    public async Task Without_fetch_metadata_origin_and_referer_decide(string header, string value, int status)
    {
        var client = await WithSessionAsync();
        var response = await client.PutAsync("""{"count":3}""", configure: Headers((header, value)));
        Assert.Equal(status, response.Status);
    }

    [Fact]
    public async Task Non_browser_clients_and_reads_are_never_blocked()
    {
        var client = await WithSessionAsync();
        Assert.Equal(200, (await client.PutAsync("""{"count":4}""")).Status);
        var read = await client.GetAsync(configure: Headers(("Sec-Fetch-Site", "cross-site"), ("Origin", "https://evil.example")));
        Assert.Equal(200, read.Status);
        Assert.Equal("no-store", read.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task Preflights_are_answered_for_allowed_origins_only()
    {
        using var http = _api.CreateClient();
        using var allowed = new HttpRequestMessage(HttpMethod.Options, "/api/session");
        allowed.Headers.Add("Origin", Spa);
        allowed.Headers.Add("Access-Control-Request-Method", "PUT");
        // Every request header the API reads: the body's type, the preconditions, the device label set at login, and the
        // ID token of a verified login.
        allowed.Headers.Add("Access-Control-Request-Headers", "content-type, if-match, if-none-match, session-client-label, authorization");
        var response = await http.SendAsync(allowed);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Contains("session-client-label", response.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.OrdinalIgnoreCase);
        Assert.Contains("authorization", response.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(Spa, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("true", response.Headers.GetValues("Access-Control-Allow-Credentials").Single());
        Assert.Contains("PUT", response.Headers.GetValues("Access-Control-Allow-Methods").Single());

        using var denied = new HttpRequestMessage(HttpMethod.Options, "/api/session");
        denied.Headers.Add("Origin", "https://evil.example");
        denied.Headers.Add("Access-Control-Request-Method", "PUT");
        response = await http.SendAsync(denied);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));

        using var simple = new HttpRequestMessage(HttpMethod.Get, "/api/session");
        simple.Headers.Add("Origin", Spa);
        response = await http.SendAsync(simple);
        Assert.Equal(Spa, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task Without_an_allow_list_there_is_no_cors_at_all()
    {
        using var api = SessionApiFactory.WithMemory();
        using var http = api.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/session");
        request.Headers.Add("Origin", Spa);
        var response = await http.SendAsync(request);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Remove_sends_clear_site_data_unless_turned_off()
    {
        var client = await WithSessionAsync();
        Assert.Equal("\"cookies\"", (await client.DeleteAsync()).Headers.GetValues("Clear-Site-Data").Single());
        using var off = SessionApiFactory.WithMemory(("Session:ClearSiteData", "false"));
        Assert.False((await off.CreateSessionClient().DeleteAsync()).Headers.Contains("Clear-Site-Data"));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("https://*.example.com")]
    [InlineData("https://app.example.com/path")]
    [InlineData("app.example.com")]
    [InlineData("ftp://app.example.com")]
    [InlineData("https://ok.example.com,https://app.example.com?x=1")]
    public void Bad_origins_stop_the_app_naming_the_setting(string origin)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Session:Keys:0"] = "k",
            ["Cors:AllowedOrigins:0"] = "https://fine.example.com",
            ["Cors:AllowedOrigins:1"] = origin,
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddSessionApi(configuration).BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<CrossOriginOptions>>().Value);
        Assert.Contains("Cors:AllowedOrigins:1:", error.Message);
    }
}
