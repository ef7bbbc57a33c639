using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Playwright;
using SessionFunctions.Http;
using SessionFunctions.Tests.Infrastructure;

using Cookie = Microsoft.Playwright.BrowserContextCookiesResult;

namespace SessionFunctions.Tests;

/// <summary>
/// Real servers, and the demo SPA in the servers' own origins, driven in Debian's headless Chromium through Playwright:
/// one API (http://localhost:A), the SPA served same-origin by it, the SPA served from a second origin that is
/// allow-listed (http://localhost:B), and from a third that is not (http://localhost:C). The demo calls the API only
/// through its typed client (samples/spa/session-api.js), and the tests that call the API from a page import that client.
/// The API keeps the user index (<c>Session:UserIdPath</c> at <c>/user/id</c>, where the demo logs in); the SPA hosts,
/// whose own API the "no index" test uses, do not. Every server runs in Development with its development issuer, and the
/// demo logs in with its ID tokens through the verified login: no server lets a browser write the user id.
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
        // The SPA hosts' own APIs keep no user index. The demo logs in there through their development issuer too; their
        // content root is the SPA's folder, so the server's appsettings.Development.json (which sets the index) is not read.
        AllowedSpa = await ServerProcess.StartAsync(SpaHost());
        OtherSpa = await ServerProcess.StartAsync(SpaHost());
        // Development, as `dotnet run` starts it: appsettings.Development.json sets the user index and the development
        // issuer, whose ID tokens the demo logs in with (POST /dev/id-token, then regenerate with Authorization: Bearer).
        Api = await ServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Session__Keys__0"] = "browser-test-key",
            ["Cors__AllowedOrigins__0"] = AllowedSpa.Url,
            // Seven days, so that the demo has both expiry headers to show, and the one-day idle expiry stays apart.
            ["Session__AbsoluteTimeout"] = "604800000",
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

    private static Dictionary<string, string> SpaHost() => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["ASPNETCORE_CONTENTROOT"] = RepositoryFiles.PathOf("samples", "spa"),
        ["Session__Keys__0"] = "spa-host",
        ["Session__Login__DevelopmentIssuer"] = "true",
    };

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
        return (context, await OpenTabAsync(context, url));
    }

    /// <summary>A tab of <paramref name="context"/>, sharing its cookies, once the demo has read the session.</summary>
    private static async Task<IPage> OpenTabAsync(IBrowserContext context, string url)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(url);
        await Assertions.Expect(page.Locator("#status")).Not.ToHaveTextAsync("Checking your session…");
        return page;
    }

    /// <summary>The demo queues clicks and is <c>aria-busy</c> until every one is done.</summary>
    private static Task IdleAsync(IPage page) => Assertions.Expect(page.Locator("#app")).ToHaveAttributeAsync("aria-busy", "false");

    /// <summary>Runs <paramref name="body"/> in the page with <c>api</c>, the demo's own client for its API, in scope.</summary>
    private static Task<JsonElement> WithClientAsync(IPage page, string body) =>
        page.EvaluateAsync<JsonElement>(
            $"async () => {{ const {{ createSessionApi, SessionApiError }} = await import('./session-api.js'); const api = createSessionApi(); {body} }}");

    private static DateTimeOffset ShownDate(string? dateTime) =>
        DateTimeOffset.Parse(dateTime ?? throw new InvalidOperationException("The <time> has no datetime."), CultureInfo.InvariantCulture);

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
        var authorizations = new System.Collections.Concurrent.ConcurrentQueue<string?>();
        page.Request += (_, request) =>
        {
            if (request.Url.EndsWith("/api/session/regenerate", StringComparison.Ordinal)) authorizations.Enqueue(request.Headers.GetValueOrDefault("authorization"));
        };

        await page.FillAsync("#user", "grace");
        await page.ClickAsync("#login button");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Logged in as grace.");
        await Assertions.Expect(page.Locator("#count")).ToHaveTextAsync("1");
        // The verified login: one regenerate, with the development issuer's ID token as its bearer token.
        Assert.StartsWith("Bearer eyJ", Assert.Single(authorizations), StringComparison.Ordinal);
        // Who the user is came from the token; the page itself cannot change it.
        var takeover = await WithClientAsync(page, """
            try { await api.patch({ user: { id: 'mallory' } }); return null; } catch (error) { return { status: error.status, type: error.type }; }
            """);
        Assert.Equal(JsonValueKind.Object, takeover.ValueKind);
        Assert.Equal(403, takeover.GetProperty("status").GetInt32());
        Assert.Equal(SessionProblem.ProtectedField.Type, takeover.GetProperty("type").GetString());
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("Logged in as grace.");

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
        Assert.Equal(JsonValueKind.Null, (await WithClientAsync(page, "return await api.get();")).ValueKind);
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

    [Fact]
    public async Task Two_tabs_counting_at_once_through_if_match_never_lose_a_visit()
    {
        const int ClicksPerTab = 15;
        var context = await fixture.Browser.NewContextAsync();
        await using var _ = context;
        var first = await OpenTabAsync(context, Api + "/");
        await first.ClickAsync("#increment");
        await Assertions.Expect(first.Locator("#count")).ToHaveTextAsync("1");
        var second = await OpenTabAsync(context, Api + "/");
        await Assertions.Expect(second.Locator("#count")).ToHaveTextAsync("1");
        // The second tab's ETag is now stale, so its first save is sure to conflict: the retry path runs in every run,
        // not only when the timing happens to collide.
        await first.ClickAsync("#increment");
        await Assertions.Expect(first.Locator("#count")).ToHaveTextAsync("2");

        var conflicts = 0;
        void CountConflict(object? sender, IResponse response)
        {
            if (response.Status == 412) Interlocked.Increment(ref conflicts);
        }
        first.Response += CountConflict;
        second.Response += CountConflict;
        async Task ClickAsync(IPage tab)
        {
            for (var i = 0; i < ClicksPerTab; i++) await tab.ClickAsync("#increment");
            await IdleAsync(tab);
        }
        await Task.WhenAll(ClickAsync(first), ClickAsync(second));

        var expected = 2 + (2 * ClicksPerTab);
        await Assertions.Expect(first.Locator("#error")).ToBeHiddenAsync();
        await Assertions.Expect(second.Locator("#error")).ToBeHiddenAsync();
        Assert.True(conflicts >= 1, "The stale tab's first save should have been refused with 412.");
        Assert.Equal(expected, (await WithClientAsync(first, "return (await api.get()).session.count;")).GetInt32());
        await second.ReloadAsync();
        await Assertions.Expect(second.Locator("#count")).ToHaveTextAsync(expected.ToString(CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_save_with_a_stale_etag_fails_with_the_precondition_failed_type_and_the_current_etag()
    {
        var (context, page) = await OpenAsync(Api + "/");
        await using var _ = context;
        await page.ClickAsync("#increment");
        await Assertions.Expect(page.Locator("#count")).ToHaveTextAsync("1");

        var result = await WithClientAsync(page, """
            const read = await api.get();
            const moved = await api.patch({ theme: 'dark' }); // another writer changes the session after our read
            try {
              await api.save({ count: 99 }, { ifMatch: read.etag });
              return { thrown: false };
            } catch (error) {
              const now = await api.get();
              return {
                thrown: error instanceof SessionApiError, name: error.name, status: error.status, type: error.type,
                title: error.title, etag: error.etag, current: moved.etag, count: now.session.count, theme: now.session.theme,
              };
            }
            """);

        Assert.True(result.GetProperty("thrown").GetBoolean(), "The client should throw a SessionApiError.");
        Assert.Equal("SessionApiError", result.GetProperty("name").GetString());
        Assert.Equal(412, result.GetProperty("status").GetInt32());
        Assert.Equal(SessionProblem.PreconditionFailed.Type, result.GetProperty("type").GetString());
        Assert.Equal(SessionProblem.PreconditionFailed.Title, result.GetProperty("title").GetString());
        // The error names the current value, so a caller can retry without guessing; and nothing was saved.
        Assert.Equal(result.GetProperty("current").GetString(), result.GetProperty("etag").GetString());
        Assert.Equal(1, result.GetProperty("count").GetInt32());
        Assert.Equal("dark", result.GetProperty("theme").GetString());
    }

    [Fact]
    public async Task A_read_with_the_current_etag_is_not_modified_until_another_write()
    {
        var (context, page) = await OpenAsync(Api + "/");
        await using var _ = context;
        await page.ClickAsync("#increment");
        await Assertions.Expect(page.Locator("#count")).ToHaveTextAsync("1");

        var result = await WithClientAsync(page, """
            const read = await api.get();
            const unchanged = await api.get({ ifNoneMatch: read.etag });
            await api.patch({ theme: 'dark' });
            const changed = await api.get({ ifNoneMatch: read.etag });
            return { etag: read.etag, unchanged, changedStatus: changed.status, changedEtag: changed.etag, theme: changed.session.theme };
            """);

        Assert.Equal(304, result.GetProperty("unchanged").GetProperty("status").GetInt32());
        Assert.Equal(result.GetProperty("etag").GetString(), result.GetProperty("unchanged").GetProperty("etag").GetString());
        Assert.Equal(200, result.GetProperty("changedStatus").GetInt32());
        Assert.NotEqual(result.GetProperty("etag").GetString(), result.GetProperty("changedEtag").GetString());
        Assert.Equal("dark", result.GetProperty("theme").GetString());
    }

    [Fact]
    public async Task The_page_shows_when_the_session_ends_from_the_expiry_headers()
    {
        var (context, page) = await OpenAsync(Api + "/");
        await using var _ = context;
        await Assertions.Expect(page.Locator("#idle-row")).ToBeHiddenAsync();
        var before = DateTimeOffset.UtcNow;
        await page.ClickAsync("#increment");
        await Assertions.Expect(page.Locator("#idle-row")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#absolute-row")).ToBeVisibleAsync();

        // A save sets the TTL: the default one-day cookie; the absolute timeout is the fixture's seven days.
        var idle = ShownDate(await page.Locator("#idle-expires").GetAttributeAsync("datetime"));
        var absolute = ShownDate(await page.Locator("#absolute-expires").GetAttributeAsync("datetime"));
        Assert.InRange(idle - before, TimeSpan.FromDays(1) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        Assert.InRange(absolute - before, TimeSpan.FromDays(7) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(7) + TimeSpan.FromMinutes(1));
        Assert.False(string.IsNullOrWhiteSpace(await page.Locator("#idle-expires").TextContentAsync()));

        // A plain read cannot know when the session was last written, so after a reload only the absolute end shows.
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#count")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator("#idle-row")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#absolute-row")).ToBeVisibleAsync();
    }

    /// <summary>A browser of its own (its cookie jar) whose User-Agent, the label its sessions get at login, is <paramref name="name"/>.</summary>
    private Task<IBrowserContext> DeviceAsync(string name) =>
        fixture.Browser.NewContextAsync(new BrowserNewContextOptions { UserAgent = name });

    /// <summary>The demo in <paramref name="context"/>, logged in through its form as <paramref name="user"/>.</summary>
    private async Task<IPage> LoggedInAsync(IBrowserContext context, string user, string? url = null)
    {
        var page = await OpenTabAsync(context, url ?? Api + "/");
        await page.FillAsync("#user", user);
        await page.ClickAsync("#login button");
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync($"Logged in as {user}.");
        await IdleAsync(page);
        return page;
    }

    /// <summary>A user no other test logs in as: the API, and so every user's index, is shared by the whole class.</summary>
    private static string NewUser() => "user-" + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture)[..10];

    private static ILocator Devices(IPage page) => page.Locator("#session-list li.device");

    private static ILocator Device(IPage page, string name) => Devices(page).Filter(new LocatorFilterOptions { HasText = name });

    private static async Task RefreshSessionsAsync(IPage page)
    {
        await page.ClickAsync("#refresh-sessions");
        await IdleAsync(page);
    }

    private static async Task ExpectSignedOutAsync(IPage page)
    {
        await RefreshSessionsAsync(page);
        await Assertions.Expect(page.Locator("#sessions-note")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^This browser was signed out"));
        await Assertions.Expect(page.Locator("#session-list")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#session-actions")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("No session yet.");
        // The expected answer of a signed-out browser is a note, not an error.
        await Assertions.Expect(page.Locator("#error")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task Signing_out_other_devices_logs_out_the_other_browser_and_keeps_this_one()
    {
        var user = NewUser();
        await using var laptop = await DeviceAsync("Device A");
        await using var phone = await DeviceAsync("Device B");
        var b = await LoggedInAsync(phone, user);
        await b.ClickAsync("#increment");
        await Assertions.Expect(b.Locator("#count")).ToHaveTextAsync("1");
        var before = DateTimeOffset.UtcNow;
        var a = await LoggedInAsync(laptop, user);

        // Both sessions, this one first and flagged, each labelled with the User-Agent it logged in with.
        await Assertions.Expect(Devices(a)).ToHaveCountAsync(2);
        await Assertions.Expect(Devices(a).First).ToHaveAttributeAsync("data-current", "true");
        await Assertions.Expect(Devices(a).First).ToContainTextAsync("Device A");
        await Assertions.Expect(Devices(a).First.Locator(".badge")).ToHaveTextAsync("this device");
        await Assertions.Expect(Devices(a).First.Locator(".sign-out")).ToHaveCountAsync(0);
        await Assertions.Expect(Device(a, "Device B")).ToHaveAttributeAsync("data-current", "false");
        await Assertions.Expect(Device(a, "Device B").Locator(".badge")).ToHaveCountAsync(0);
        await Assertions.Expect(Device(a, "Device B").Locator(".sign-out")).ToBeVisibleAsync();
        await Assertions.Expect(a.Locator("#sign-out-others")).ToBeEnabledAsync();
        await Assertions.Expect(a.Locator("#sessions-note")).ToBeHiddenAsync();
        var times = Devices(a).First.Locator("time");
        await Assertions.Expect(times).ToHaveCountAsync(2);
        foreach (var shown in new[] { ShownDate(await times.Nth(0).GetAttributeAsync("datetime")), ShownDate(await times.Nth(1).GetAttributeAsync("datetime")) })
            Assert.InRange(shown, before - TimeSpan.FromMinutes(1), DateTimeOffset.UtcNow + TimeSpan.FromMinutes(1));

        // The other browser sees the same two sessions, with itself as the current one.
        await RefreshSessionsAsync(b);
        await Assertions.Expect(Devices(b)).ToHaveCountAsync(2);
        await Assertions.Expect(Devices(b).First).ToContainTextAsync("Device B");
        await Assertions.Expect(Devices(b).First).ToHaveAttributeAsync("data-current", "true");
        var phoneCookies = await phone.CookiesAsync([Api]);

        await a.ClickAsync("#sign-out-others");
        await IdleAsync(a);
        await Assertions.Expect(Devices(a)).ToHaveCountAsync(1);
        await Assertions.Expect(Devices(a).First).ToContainTextAsync("Device A");
        await Assertions.Expect(Devices(a).First).ToHaveAttributeAsync("data-current", "true");
        await Assertions.Expect(a.Locator("#sign-out-others")).ToBeDisabledAsync();
        await Assertions.Expect(a.Locator("#status")).ToHaveTextAsync($"Logged in as {user}.");
        await Assertions.Expect(a.Locator("#error")).ToBeHiddenAsync();

        // The other browser's session is gone from the API, and its next request finds it logged out; its counter
        // starts again in a new session that has no user.
        Assert.Equal(HttpStatusCode.NotFound, await GetWithCookiesAsync(phoneCookies));
        await ExpectSignedOutAsync(b);
        await Assertions.Expect(b.Locator("#count")).ToHaveTextAsync("0");
        await b.ClickAsync("#increment");
        await Assertions.Expect(b.Locator("#count")).ToHaveTextAsync("1");
        await Assertions.Expect(b.Locator("#status")).ToHaveTextAsync("Not logged in.");
        Assert.NotEqual(phoneCookies.Single(c => c.Name == "koa.sid").Value, (await SessionCookieAsync(phone))!.Value);

        // This browser is still logged in, alone in its list.
        Assert.Equal(HttpStatusCode.OK, await GetWithCookiesAsync(await laptop.CookiesAsync([Api])));
        await RefreshSessionsAsync(a);
        await Assertions.Expect(Devices(a)).ToHaveCountAsync(1);
        await Assertions.Expect(a.Locator("#status")).ToHaveTextAsync($"Logged in as {user}.");

        Directory.CreateDirectory(RepositoryFiles.PathOf("artifacts"));
        await a.ScreenshotAsync(new PageScreenshotOptions { Path = RepositoryFiles.PathOf("artifacts", "spa-your-sessions.png"), FullPage = true });
    }

    [Fact]
    public async Task Signing_out_one_session_by_its_button_ends_that_one_only()
    {
        var user = NewUser();
        await using var laptop = await DeviceAsync("Device A");
        await using var phone = await DeviceAsync("Device B");
        await using var tablet = await DeviceAsync("Device C");
        var b = await LoggedInAsync(phone, user);
        var c = await LoggedInAsync(tablet, user);
        var a = await LoggedInAsync(laptop, user);
        await Assertions.Expect(Devices(a)).ToHaveCountAsync(3);
        var phoneCookies = await phone.CookiesAsync([Api]);

        await Device(a, "Device B").Locator(".sign-out").ClickAsync();
        await IdleAsync(a);
        await Assertions.Expect(Devices(a)).ToHaveCountAsync(2);
        await Assertions.Expect(Device(a, "Device B")).ToHaveCountAsync(0);
        await Assertions.Expect(Device(a, "Device C")).ToHaveCountAsync(1);
        await Assertions.Expect(Devices(a).First).ToContainTextAsync("Device A");
        await Assertions.Expect(a.Locator("#error")).ToBeHiddenAsync();

        Assert.Equal(HttpStatusCode.NotFound, await GetWithCookiesAsync(phoneCookies));
        await ExpectSignedOutAsync(b);

        // The third browser is untouched: still logged in, and it sees the two sessions left.
        Assert.Equal(HttpStatusCode.OK, await GetWithCookiesAsync(await tablet.CookiesAsync([Api])));
        await RefreshSessionsAsync(c);
        await Assertions.Expect(c.Locator("#status")).ToHaveTextAsync($"Logged in as {user}.");
        await Assertions.Expect(Devices(c)).ToHaveCountAsync(2);
        await Assertions.Expect(Devices(c).First).ToContainTextAsync("Device C");
        await Assertions.Expect(Device(c, "Device A")).ToHaveAttributeAsync("data-current", "false");

        // A handle that names none of the user's sessions (here, one already signed out) is the client's typed error.
        var result = await WithClientAsync(a, """
            const [, other] = await api.listSessions();
            await api.signOut(other.handle);
            try {
              await api.signOut(other.handle);
              return { thrown: false };
            } catch (error) {
              return { thrown: error instanceof SessionApiError, status: error.status, type: error.type, left: (await api.listSessions()).length };
            }
            """);
        Assert.True(result.GetProperty("thrown").GetBoolean(), "Signing out a handle twice should throw a SessionApiError.");
        Assert.Equal(404, result.GetProperty("status").GetInt32());
        Assert.Equal(SessionProblem.UserSessionNotFound.Type, result.GetProperty("type").GetString());
        Assert.Equal(1, result.GetProperty("left").GetInt32());
    }

    [Fact]
    public async Task Without_a_user_or_a_user_index_the_sessions_panel_explains_instead_of_failing()
    {
        // The API's own demo, before logging in: nothing to list, and nothing asked of the API.
        var (context, page) = await OpenAsync(Api + "/");
        await using var _ = context;
        var listed = 0;
        page.Request += (_, request) =>
        {
            if (request.Url.Contains("/api/session/all", StringComparison.Ordinal)) Interlocked.Increment(ref listed);
        };
        await page.ClickAsync("#increment");
        await Assertions.Expect(page.Locator("#count")).ToHaveTextAsync("1");
        await Assertions.Expect(page.Locator("#sessions-note")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^Log in to see"));
        await Assertions.Expect(page.Locator("#session-list")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#session-actions")).ToBeHiddenAsync();
        Assert.Equal(0, listed);

        // A SPA host's own API keeps no user index (no Session:UserIdPath): logged in there, the panel says so.
        await using var other = await DeviceAsync("Device A");
        var noIndex = await LoggedInAsync(other, NewUser(), fixture.AllowedSpa.Url + "/");
        await Assertions.Expect(noIndex.Locator("#sessions-note")).ToContainTextAsync("Session:UserIdPath");
        await Assertions.Expect(noIndex.Locator("#session-list")).ToBeHiddenAsync();
        await Assertions.Expect(noIndex.Locator("#error")).ToBeHiddenAsync();
        var problem = await WithClientAsync(noIndex, """
            try { await api.listSessions(); return null; } catch (error) { return { status: error.status, type: error.type }; }
            """);
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
        Assert.Equal(SessionProblem.NoUser.Type, problem.GetProperty("type").GetString());
    }
}
