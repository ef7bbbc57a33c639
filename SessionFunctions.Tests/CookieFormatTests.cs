using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using SessionFunctions.Configuration;
using SessionFunctions.Cookies;
using SessionFunctions.Extensibility;
using SessionFunctions.Storage;

namespace SessionFunctions.Tests;

/// <summary>
/// The Set-Cookie format and Cookie parsing of pillarjs/cookies 0.9 (index.js: Cookies.prototype.get and set, as koa
/// uses them), which koajs/generic-session's tests see through the headers: "should GET /session/httponly ok" (httponly
/// and expires=) and "should set expires= when destroying a session on all session cookies". InteropTests compares the
/// whole headers with the real Koa app's.
/// </summary>
public sealed class CookieFormatTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 21, 16, 23, 11, 581, TimeSpan.Zero);

    [Fact]
    public void Formats_attributes_lower_case_in_koa_order_without_max_age()
    {
        var cookie = new SessionCookie(HttpOnly: true, Path: "/session", Domain: "example.com", MaxAge: 60000, Expires: null,
            SameSite: "lax", Secure: null, Priority: "high", Partitioned: true);
        var header = SetCookieHeader.Format("my.sid", "abc", cookie, secure: true, cookie.ExpiresAt(Noon));
        Assert.Equal("my.sid=abc; path=/session; expires=Sat, 21 Nov 2026 16:24:11 GMT; domain=example.com; priority=high; samesite=lax; secure; httponly; partitioned", header);
    }

    [Fact]
    public void Default_cookie_has_path_expires_and_httponly_only()
    {
        var cookie = SessionCookie.Read(SessionCookie.NewJson(new SessionCookieOptions()), new SessionCookieOptions());
        Assert.Equal("koa.sid=x; path=/; expires=Sun, 22 Nov 2026 16:23:11 GMT; httponly",
            SetCookieHeader.Format("koa.sid", "x", cookie, secure: false, cookie.ExpiresAt(Noon)));
    }

    [Fact]
    public void New_session_cookie_json_is_byte_identical_to_koa()
    {
        var session = new JsonObject { ["cookie"] = SessionCookie.NewJson(new SessionCookieOptions()), ["count"] = 1 };
        Assert.Equal("""{"cookie":{"httpOnly":true,"path":"/","overwrite":true,"signed":true,"maxAge":86400000},"count":1}""", SessionJson.Serialize(session));
    }

    [Fact]
    public void Max_age_wins_over_expires_and_zero_max_age_means_a_browser_session_cookie()
    {
        var expires = Noon.AddSeconds(5);
        var both = SessionCookie.Read(JsonNode.Parse($$"""{"maxAge":60000,"expires":"{{SessionCookie.FormatDate(expires)}}"}""")!.AsObject(), new());
        Assert.Equal(Noon.AddMinutes(1), both.ExpiresAt(Noon));
        var zero = SessionCookie.Read(JsonNode.Parse("""{"maxAge":0}""")!.AsObject(), new());
        Assert.Null(zero.ExpiresAt(Noon));
        var expiresOnly = SessionCookie.Read(JsonNode.Parse($$"""{"maxAge":null,"expires":"{{SessionCookie.FormatDate(expires)}}"}""")!.AsObject(), new());
        Assert.Equal(expires, expiresOnly.ExpiresAt(Noon));
    }

    [Theory]
    [InlineData("60000", 60000L)]
    [InlineData("60000.0", 60000L)]
    [InlineData("1.5", 2L)]
    [InlineData("6e4", 60000L)]
    [InlineData("-1", null)]
    [InlineData("0.0", null)]
    [InlineData("99999999999999999999", CookieLifetime.MaxMilliseconds)]
    [InlineData("34560000000000", CookieLifetime.MaxMilliseconds)]
    [InlineData("\"60000\"", null)]
    public void Max_age_is_read_from_any_json_number_as_whole_milliseconds_up_to_the_cap(string json, long? expected)
    {
        Assert.Equal(expected, SessionCookie.Read(JsonNode.Parse($$"""{"maxAge":{{json}}}""")!.AsObject(), new()).MaxAge);
    }

    [Fact]
    public void Max_age_set_in_code_reads_as_parsed_json_does()
    {
        Assert.Equal(60000L, SessionCookie.Read(new JsonObject { ["maxAge"] = 60000L }, new()).MaxAge);
        Assert.Equal(60000L, SessionCookie.Read(new JsonObject { ["maxAge"] = 60000 }, new()).MaxAge);
        Assert.Equal(2L, SessionCookie.Read(new JsonObject { ["maxAge"] = 1.5 }, new()).MaxAge);
    }

    [Fact]
    public void Dates_are_written_like_javascript_toISOString()
    {
        Assert.Equal("2026-11-21T16:23:11.581Z", SessionCookie.FormatDate(Noon));
        Assert.Equal(Noon, SessionCookie.ParseDate("2026-11-21T16:23:11.581Z"));
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 16, 23, 11, TimeSpan.Zero), SessionCookie.ParseDate("Sun, 22 Nov 2026 16:23:11 GMT"));
        Assert.Equal(Noon.AddMilliseconds(-581), SessionCookie.ParseDate("2026-11-21T16:23:11Z"));
        Assert.Equal(Noon.AddHours(-1), SessionCookie.ParseDate("2026-11-21T16:23:11.581+01:00"));
        Assert.Null(SessionCookie.ParseDate("not a date"));
    }

    [Theory]
    [InlineData("koa.sid=abc; koa.sid.sig=def", "koa.sid", "abc")]
    [InlineData("koa.sid=abc; koa.sid.sig=def", "koa.sid.sig", "def")]
    [InlineData("a=1;koa.sid=first; koa.sid=second", "koa.sid", "first")]
    [InlineData("koa.sid=\"quoted\"", "koa.sid", "quoted")]
    [InlineData("xkoa.sid=no; other=1", "koa.sid", null)]
    [InlineData("koa.sid=", "koa.sid", "")]
    [InlineData("koa.sid=a%20b", "koa.sid", "a%20b")]
    [InlineData("", "koa.sid", null)]
    public void Reads_the_first_raw_match(string header, string name, string? expected)
    {
        Assert.Equal(expected, RequestCookies.Get(header, name));
    }

    [Fact]
    public void Overwrite_replaces_an_earlier_header_for_the_same_name()
    {
        var http = new DefaultHttpContext();
        SetCookieHeader.Append(http.Response, "koa.sid", "koa.sid=; path=/; expires=Thu, 01 Jan 1970 00:00:00 GMT; httponly");
        SetCookieHeader.Append(http.Response, "koa.sid.sig", "koa.sid.sig=x; path=/");
        SetCookieHeader.Append(http.Response, "koa.sid", "koa.sid=new; path=/");
        Assert.Equal(new[] { "koa.sid.sig=x; path=/", "koa.sid=new; path=/" }, http.Response.Headers.SetCookie.Select(h => h!).ToArray());
    }

    [Fact]
    public async Task Generated_ids_are_32_character_base64url_and_unique()
    {
        var generator = new RandomSessionIdGenerator();
        var ids = new List<string>();
        for (var i = 0; i < 1000; i++) ids.Add(await generator.GenerateAsync(new DefaultHttpContext()));
        Assert.All(ids, id => Assert.Matches("^[A-Za-z0-9_-]{32}$", id));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }
}
