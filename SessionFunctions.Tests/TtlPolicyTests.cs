using Microsoft.Extensions.Options;
using SessionFunctions.Configuration;
using SessionFunctions.Cookies;
using SessionFunctions.Storage;

namespace SessionFunctions.Tests;

/// <summary>
/// The store TTL as koa computes it: koa-generic-session's src/store.js takes the ttl option, else the cookie's expires,
/// else its maxAge (in ms), and koa-redis' src/index.js rounds that up to whole seconds for SETEX (its test "should set
/// with ttl ok": 86400000 ms gives TTL 86400). A browser-session cookie gets a bounded fallback instead of koa's key
/// without expiry: the first row of the deviation table in docs/koa-compatibility.md.
/// </summary>
public sealed class TtlPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    private static TimeSpan Ttl(SessionApiOptions options, long? maxAge, DateTimeOffset? expires = null) =>
        new TtlPolicy(Options.Create(options)).For(new SessionCookie(true, "/", null, maxAge, expires, null, null, null, false), Now);

    [Fact]
    public void Max_age_gives_whole_seconds_rounded_up()
    {
        Assert.Equal(TimeSpan.FromSeconds(86400), Ttl(new(), 86_400_000));
        Assert.Equal(TimeSpan.FromSeconds(1), Ttl(new(), 1000));
        Assert.Equal(TimeSpan.FromSeconds(2), Ttl(new(), 1500));
        Assert.Equal(TimeSpan.FromSeconds(1), Ttl(new(), 1));
    }

    [Fact]
    public void Expires_wins_over_max_age() => Assert.Equal(TimeSpan.FromSeconds(5), Ttl(new(), 86_400_000, Now.AddMilliseconds(4200)));

    [Fact]
    public void The_ttl_option_wins_over_the_cookie() => Assert.Equal(TimeSpan.FromSeconds(3), Ttl(new() { Ttl = 2500 }, 86_400_000, Now.AddHours(1)));

    [Fact]
    public void A_browser_session_cookie_falls_back_to_a_bounded_ttl()
    {
        Assert.Equal(TimeSpan.FromDays(1), Ttl(new(), null));
        Assert.Equal(TimeSpan.FromDays(1), Ttl(new(), 0));
        Assert.Equal(TimeSpan.FromSeconds(90), Ttl(new() { FallbackTtl = 90_000 }, null));
    }

    [Fact]
    public void An_expires_that_is_passing_still_gives_a_positive_ttl() => Assert.Equal(TimeSpan.FromSeconds(1), Ttl(new(), null, Now.AddSeconds(-1)));
}
