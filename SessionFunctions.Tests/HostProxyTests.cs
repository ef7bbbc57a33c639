using System.Net;
using System.Text;
using SessionFunctions.Cookies;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>
/// The standalone server as a real process behind nginx, which stands in for the Azure Functions host's HTTP proxy
/// (<see cref="NginxProxy"/>): it forwards with its own X-Forwarded-*, enforces a body limit, and answers unknown verbs
/// itself. One proxy reports <c>https</c> like the platform's TLS front end in Azure, the other <c>http</c> like
/// <c>func start</c>. What the real host does beyond this (routing by function, platform CORS) is in docs/functions.md.
/// </summary>
public sealed class HostProxyTests(HostProxyTests.Hosts hosts) : IClassFixture<HostProxyTests.Hosts>
{
    private const string Key = "host-proxy-test-key";
    private const string Spa = "https://spa.example.com";
    private const int MaxBodyBytes = 4096;
    private const int ProxyMaxBodyBytes = 256 * 1024;
    private const string ExpiresPattern = @"expires=\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT";

    /// <summary>One server and two proxies in front of it, for the whole class.</summary>
    public sealed class Hosts : IAsyncLifetime
    {
        private ServerProcess? _server;

        /// <summary>Reports <c>https</c>, as the platform's front end does in Azure.</summary>
        public NginxProxy Tls { get; private set; } = null!;

        /// <summary>Reports <c>http</c>, as <c>func start</c> does, even behind a TLS tunnel.</summary>
        public NginxProxy Plain { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            _server = await ServerProcess.StartAsync(new Dictionary<string, string>
            {
                ["Session__Keys__0"] = Key,
                // As the deployment sets them: the proxy's X-Forwarded-Proto is trusted, SameSite is explicit.
                ["Session__TrustForwardedProto"] = "true",
                ["Session__Cookie__SameSite"] = "lax",
                ["Session__MaxBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Cors__AllowedOrigins__0"] = Spa,
            });
            Tls = await NginxProxy.StartAsync(_server.Port, "https", ProxyMaxBodyBytes);
            Plain = await NginxProxy.StartAsync(_server.Port, "http", ProxyMaxBodyBytes);
        }

        public async Task DisposeAsync()
        {
            if (Tls is not null) await Tls.DisposeAsync();
            if (Plain is not null) await Plain.DisposeAsync();
            if (_server is not null) await _server.DisposeAsync();
        }
    }

    private static HttpClient Http(NginxProxy proxy) =>
        // No cookie container: SessionClient keeps its own jar and sends exactly the cookies a test expects.
        new(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = proxy.Address, Timeout = TimeSpan.FromSeconds(10) };

    private static SessionClient Client(NginxProxy proxy) => new(Http(proxy));

    private static Action<HttpRequestMessage> Headers(params (string Name, string Value)[] headers) =>
        request => { foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value); };

    [Fact]
    public async Task Create_get_save_regenerate_and_remove_work_through_the_proxy_with_the_signed_pair_intact()
    {
        using var client = Client(hosts.Tls);
        var created = await client.PostAsync(json: """{"count":1}""");
        Assert.Equal(201, created.Status);
        Assert.Equal(2, created.SetCookies.Count);
        var sid = client.Jar["koa.sid"];
        Assert.Equal(new Keygrip([Key]).Sign("koa.sid=" + sid), client.Jar["koa.sid.sig"]);

        Assert.Equal(1, (await client.GetAsync()).Json["count"]!.GetValue<int>());
        Assert.Equal(200, (await client.PutAsync("""{"count":2}""")).Status);
        Assert.Equal(2, (await client.GetAsync()).Json["count"]!.GetValue<int>());

        var regenerated = await client.RegenerateAsync();
        Assert.Equal(200, regenerated.Status);
        Assert.Equal(2, regenerated.Json["count"]!.GetValue<int>());
        Assert.NotEqual(sid, client.Jar["koa.sid"]);
        using (var old = Client(hosts.Tls))
        {
            old.Jar["koa.sid"] = sid;
            old.Jar["koa.sid.sig"] = new Keygrip([Key]).Sign("koa.sid=" + sid);
            Assert.Equal(404, (await old.GetAsync()).Status);
        }

        var removed = await client.DeleteAsync();
        Assert.Equal(204, removed.Status);
        Assert.Equal("\"cookies\"", removed.Headers.GetValues("Clear-Site-Data").Single());
        Assert.Equal(2, removed.SetCookies.Count(c => c.Contains("expires=Thu, 01 Jan 1970", StringComparison.Ordinal)));
        Assert.Equal(404, (await client.GetAsync()).Status);
    }

    [Fact]
    public async Task Behind_a_tls_front_end_cookies_are_secure_with_koas_attributes_even_when_the_client_claims_http()
    {
        using var client = Client(hosts.Tls);
        var created = await client.PostAsync(json: "{}", configure: Headers(("X-Forwarded-Proto", "http")));
        Assert.Equal(201, created.Status);
        Assert.Matches($"^koa\\.sid=[A-Za-z0-9_-]{{32}}; path=/; {ExpiresPattern}; samesite=lax; secure; httponly$", created.SetCookie("koa.sid"));
        Assert.Matches($"^koa\\.sid\\.sig=[A-Za-z0-9_-]{{27}}; path=/; {ExpiresPattern}; samesite=lax; secure; httponly$", created.SetCookie("koa.sid.sig"));
        Assert.Equal("no-store", created.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task Behind_func_starts_proxy_a_client_sent_forwarded_proto_is_overwritten_so_cookies_are_not_secure()
    {
        // func start reports http even behind a TLS tunnel: docs/operations.md gives the remedy, Session__Cookie__Secure=true.
        using var client = Client(hosts.Plain);
        var created = await client.PostAsync(json: "{}", configure: Headers(("X-Forwarded-Proto", "https")));
        Assert.Equal(201, created.Status);
        Assert.DoesNotContain("secure", created.SetCookie("koa.sid")!, StringComparison.Ordinal);
        var secureOverride = await client.PutAsync("""{"cookie":{"secure":true}}""", configure: Headers(("X-Forwarded-Proto", "https")));
        Assert.Equal(400, secureOverride.Status);
        Assert.Equal("urn:sessionfunctions:problem:invalid-cookie", secureOverride.ProblemType);
    }

    [Fact]
    public async Task The_proxys_public_origin_passes_the_same_origin_check_and_other_origins_get_403()
    {
        using var client = Client(hosts.Tls);
        Assert.Equal(201, (await client.PostAsync(json: """{"count":1}""")).Status);

        // The public origin is the forwarded scheme and the Host header the proxy passes on, not the server's own address.
        Assert.Equal(200, (await client.PutAsync("""{"count":2}""", configure: Headers(("Origin", hosts.Tls.PublicOrigin)))).Status);
        Assert.Equal(200, (await client.PutAsync("""{"count":3}""", configure: Headers(("Sec-Fetch-Site", "cross-site"), ("Origin", Spa)))).Status);
        foreach (var foreign in new[] { "https://evil.example", $"http://127.0.0.1:{hosts.Tls.Port}" })
        {
            var refused = await client.PutAsync("""{"count":9}""", configure: Headers(("Origin", foreign)));
            Assert.Equal(403, refused.Status);
            Assert.Equal("urn:sessionfunctions:problem:cross-site-request", refused.ProblemType);
            Assert.Empty(refused.SetCookies);
        }
        Assert.Equal(3, (await client.GetAsync()).Json["count"]!.GetValue<int>());

        using var plain = Client(hosts.Plain);
        Assert.Equal(201, (await plain.PostAsync(json: "{}", configure: Headers(("Origin", hosts.Plain.PublicOrigin)))).Status);
    }

    [Fact]
    public async Task The_demo_spa_and_cors_for_an_allowed_spa_origin_pass_through_the_proxy()
    {
        using var http = Http(hosts.Tls);
        var page = await http.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);

        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/api/session");
        preflight.Headers.Add("Origin", Spa);
        preflight.Headers.Add("Access-Control-Request-Method", "PUT");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type");
        var answer = await http.SendAsync(preflight);
        Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        Assert.Equal(Spa, answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("true", answer.Headers.GetValues("Access-Control-Allow-Credentials").Single());

        using var client = new SessionClient(Http(hosts.Tls));
        var created = await client.PostAsync(json: "{}", configure: Headers(("Origin", Spa), ("Sec-Fetch-Site", "cross-site")));
        Assert.Equal(201, created.Status);
        Assert.Equal(Spa, created.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task A_body_over_max_body_bytes_gets_our_413_and_one_over_the_proxy_limit_gets_the_proxys_own()
    {
        using var client = Client(hosts.Tls);
        var ours = await client.PostAsync(json: JsonOfSize(16 * 1024));
        Assert.Equal(413, ours.Status);
        Assert.Equal("urn:sessionfunctions:problem:body-too-large", ours.ProblemType);

        var proxys = await client.PostAsync(json: JsonOfSize(ProxyMaxBodyBytes + 64 * 1024));
        Assert.Equal(413, proxys.Status);
        Assert.Equal("text/html", proxys.ContentType?.MediaType);
        Assert.Null(proxys.Headers.CacheControl); // the server never saw it

        Assert.Equal(201, (await client.PostAsync(json: JsonOfSize(MaxBodyBytes - 16))).Status);
    }

    [Fact]
    public async Task Verbs_no_function_can_declare_are_answered_by_the_proxy_and_declarable_ones_by_our_fallback()
    {
        using var http = Http(hosts.Tls);
        var proxys = await http.SendAsync(new HttpRequestMessage(new HttpMethod("PROPFIND"), "/api/session"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, proxys.StatusCode);
        Assert.Equal("text/html", proxys.Content.Headers.ContentType?.MediaType);
        Assert.Null(proxys.Headers.CacheControl);

        var ours = await http.SendAsync(new HttpRequestMessage(HttpMethod.Patch, "/api/session/regenerate"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, ours.StatusCode);
        Assert.Equal("application/problem+json", ours.Content.Headers.ContentType?.MediaType);
        Assert.Contains("POST", ours.Content.Headers.Allow);
    }

    /// <summary>A JSON object of exactly <paramref name="bytes"/> bytes.</summary>
    private static string JsonOfSize(int bytes)
    {
        var json = new StringBuilder("{\"pad\":\"");
        json.Append('x', bytes - json.Length - 2).Append("\"}");
        return json.ToString();
    }
}
