using System.Net;
using Microsoft.Playwright;
using SessionFunctions.Tests.Infrastructure;
using Cookie = Microsoft.Playwright.BrowserContextCookiesResult;

namespace SessionFunctions.Tests;

/// <summary>
/// Real servers, and the demo SPA in the servers' own origins, driven in Debian's headless Chromium through Playwright:
/// one API (http://localhost:A), the SPA served same-origin by it, the SPA served from a second origin that is
/// allow-listed (http://localhost:B), and from a third that is not (http://localhost:C).
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private IPlaywright? _playwright;

    public ServerProcess Api { get; private set; } = null!;
    public ServerProcess AllowedSpa { get; private set; } = null!;
    public ServerProcess OtherSpa { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(Chromium))
            throw new InvalidOperationException($"{Chromium} is missing: apt-get install chromium (bash test.sh does).");
        AllowedSpa = await ServerProcess.StartAsync(new Dictionary<string, string> { ["Session__Keys__0"] = "spa-host" });
        OtherSpa = await ServerProcess.StartAsync(new Dictionary<string, string> { ["Session__Keys__0"] = "spa-host" });
        Api = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["Session__Keys__0"] = "browser-test-key",
            ["Cors__AllowedOrigins__0"] = AllowedSpa.Url,
        });
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        foreach (var server in new[] { Api, AllowedSpa, OtherSpa })
            if (server is not null) await server.DisposeAsync();
    }
}

public sealed class BrowserTests(BrowserFixture fixture) : IClassFixture<BrowserFixture>
{
    private string Api => fixture.Api.Url;

    private async Task<(IBrowserContext Context, IPage Page)> OpenAsync(string url)
    {
        var context = await fixture.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(url);
        await Assertions.Expect(page.Locator("#status")).Not.ToHaveTextAsync("Checking your session…");
        return (context, page);
    }

    private async Task<Cookie?> SessionCookieAsync(IBrowserContext context) =>
        (await context.CookiesAsync([Api])).SingleOrDefault(c => c.Name == "koa.sid");

    private async Task<HttpStatusCode> GetWithCookiesAsync(IEnumerable<Cookie> cookies)
    {
        using var http = new HttpClient(new HttpClientHandler { UseCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Api}/api/session");
        request.Headers.Add("Cookie", string.Join("; ", cookies.Select(c => $"{c.Name}={c.Value}")));
        return (await http.SendAsync(request)).StatusCode;
    }

    [Fact]
    public async Task The_counter_increments_across_clicks_and_survives_a_reload()
    {
        var (context, page) = await OpenAsync(Api + "/");
        await using var _ = context;
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("No session yet.");
        for (var i = 1; i <= 3; i++)
        {
            await page.ClickAsync("#increment");
            await Assertions.Expect(page.Locator("#count")).ToHaveTextAsync(i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#count")).ToHaveTextAsync("3");
        await Assertions.Expect(page.Locator("#error")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task Scripts_cannot_read_the_session_cookie()
    {
        var (context, page) = await OpenAsync(Api + "/");
        await using var _ = context;
        await page.ClickAsync("#increment");
        await Assertions.Expect(page.Locator("#count")).ToHaveTextAsync("1");
        Assert.NotNull(await SessionCookieAsync(context));
        Assert.True((await SessionCookieAsync(context))!.HttpOnly);
        Assert.DoesNotContain("koa.sid", await page.EvaluateAsync<string>("document.cookie"));
    }

    [Fact]
    public async Task Logging_in_regenerates_the_id_and_the_old_cookie_stops_working()
    {
        var (context, page) = await OpenAsync(Api + "/");
        await using var _ = context;
        await page.ClickAsync("#increment");
        await Assertions.Expect(page.Locator("#count")).ToHaveTextAsync("1");
        var before = await context.CookiesAsync([Api]);

        await page.FillAsync("#user", "grace");
        await page.ClickAsync("#login button");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Logged in as grace.");
        await Assertions.Expect(page.Locator("#count")).ToHaveTextAsync("1");

        var after = await SessionCookieAsync(context);
        Assert.NotEqual(before.Single(c => c.Name == "koa.sid").Value, after!.Value);
        Assert.Equal(HttpStatusCode.NotFound, await GetWithCookiesAsync(before));
        Assert.Equal(HttpStatusCode.OK, await GetWithCookiesAsync(await context.CookiesAsync([Api])));

        Directory.CreateDirectory(RepositoryFiles.PathOf("artifacts"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = RepositoryFiles.PathOf("artifacts", "spa-after-login.png"), FullPage = true });
    }

    [Fact]
    public async Task Remember_me_makes_the_cookie_last_30_days()
    {
        var (context, page) = await OpenAsync(Api + "/");
        await using var _ = context;
        await page.CheckAsync("#remember");
        await Assertions.Expect(page.Locator("#remember")).ToBeCheckedAsync();
        await Assertions.Expect(page.Locator("#logout")).ToBeEnabledAsync();
        // Chromium shifts expiry by its view of the server's clock (the Date header); minutes of slack cannot hide the
        // difference between 30 days and the default one day.
        var expires = DateTimeOffset.FromUnixTimeSeconds((long)(await SessionCookieAsync(context))!.Expires);
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromDays(30) - TimeSpan.FromMinutes(5), TimeSpan.FromDays(30) + TimeSpan.FromMinutes(5));
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#remember")).ToBeCheckedAsync();
    }

    [Fact]
    public async Task Logging_out_empties_the_cookie_jar_and_the_api_has_no_session()
    {
        var (context, page) = await OpenAsync(Api + "/");
        await using var _ = context;
        await page.ClickAsync("#increment");
        await Assertions.Expect(page.Locator("#count")).ToHaveTextAsync("1");
        await page.ClickAsync("#logout");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("No session yet.");
        Assert.Empty(await context.CookiesAsync([Api]));
        Assert.Equal(404, await page.EvaluateAsync<int>("async () => (await fetch('/api/session', { credentials: 'include' })).status"));
    }

    [Fact]
    public async Task An_allow_listed_origin_works_with_credentials()
    {
        var (context, page) = await OpenAsync($"{fixture.AllowedSpa.Url}/?api={Api}");
        await using var _ = context;
        await Assertions.Expect(page.Locator("#api-base")).ToHaveTextAsync(Api);
        await page.ClickAsync("#increment");
        await page.ClickAsync("#increment");
        await Assertions.Expect(page.Locator("#count")).ToHaveTextAsync("2");
        await page.FillAsync("#user", "ada");
        await page.ClickAsync("#login button");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Logged in as ada.");
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Logged in as ada.");
        await Assertions.Expect(page.Locator("#error")).ToBeHiddenAsync();
        Assert.NotNull(await SessionCookieAsync(context));
    }

    [Fact]
    public async Task An_origin_that_is_not_allow_listed_is_blocked_by_the_browser()
    {
        var context = await fixture.Browser.NewContextAsync();
        await using var _ = context;
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{fixture.OtherSpa.Url}/?api={Api}");
        await Assertions.Expect(page.Locator("#error")).ToBeVisibleAsync();
        await page.ClickAsync("#increment");
        await Assertions.Expect(page.Locator("#error")).ToContainTextAsync("Failed to fetch");
        Assert.Null(await SessionCookieAsync(context));
    }

    [Fact]
    public async Task A_forged_cross_site_form_post_is_rejected_and_the_session_survives()
    {
        var (context, page) = await OpenAsync(Api + "/");
        await using var _ = context;
        await page.ClickAsync("#increment");
        await Assertions.Expect(page.Locator("#count")).ToHaveTextAsync("1");
        var sid = (await SessionCookieAsync(context))!.Value;

        // A page on another site: a plain form POST, which CORS does not stop, aimed at replacing the victim's session.
        const string Attacker = "http://127.0.0.1:9/forge.html";
        await page.RouteAsync(Attacker, route => route.FulfillAsync(new RouteFulfillOptions
        {
            ContentType = "text/html",
            Body = $"<form id=f method=post action=\"{Api}/api/session\"></form><script>document.getElementById('f').submit()</script>",
        }));
        var forged = await page.RunAndWaitForResponseAsync(() => page.GotoAsync(Attacker), r => r.Url == $"{Api}/api/session");
        Assert.Equal(403, forged.Status);
        Assert.Contains(SessionProblem.CrossSiteRequest.Type, await forged.TextAsync());

        Assert.Equal(sid, (await SessionCookieAsync(context))!.Value);
        await page.GotoAsync(Api + "/");
        await Assertions.Expect(page.Locator("#count")).ToHaveTextAsync("1");
    }
}
