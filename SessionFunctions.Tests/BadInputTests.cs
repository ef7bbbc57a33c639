using System.Net.Http.Headers;
using System.Text;
using SessionFunctions.Http;
using SessionFunctions.Tests.Infrastructure;

namespace SessionFunctions.Tests;

/// <summary>Every kind of bad input gets a 4xx problem+json with its stable type, never a 500, and changes nothing.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly SessionApiFactory _api = SessionApiFactory.WithMemory(("Session:MaxBodyBytes", "1024"));

    public void Dispose() => _api.Dispose();

    private async Task<SessionClient> WithSessionAsync()
    {
        var client = _api.CreateSessionClient();
        Assert.Equal(201, (await client.PostAsync(json: """{"count":1}""")).Status);
        return client;
    }

    private static async Task AssertProblem(SessionResponse response, int status, string type)
    {
        Assert.Equal(status, response.Status);
        Assert.Equal("application/problem+json", response.ContentType?.MediaType);
        Assert.Equal(type, response.ProblemType);
        Assert.Equal(status, response.Json["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(response.Json["title"]!.GetValue<string>()));
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        await Task.CompletedTask;
    }

    public static TheoryData<string, string> BadBodies { get; } = new()
    {
        { "{\"count\":", SessionProblem.InvalidJson.Type },
        { "{'count':1}", SessionProblem.InvalidJson.Type },
        { "{\"a\":1,\"a\":2}", SessionProblem.InvalidJson.Type },
        { "{\"count\":1} trailing", SessionProblem.InvalidJson.Type },
        { "[1,2]", SessionProblem.BodyNotObject.Type },
        { "\"text\"", SessionProblem.BodyNotObject.Type },
        { "null", SessionProblem.BodyNotObject.Type },
        { "{\"cookie\":5}", SessionProblem.InvalidCookie.Type },
        { "{\"cookie\":null}", SessionProblem.InvalidCookie.Type },
        { "{\"cookie\":{\"maxAge\":\"1000\"}}", SessionProblem.InvalidCookie.Type },
        { "{\"cookie\":{\"maxAge\":1.5}}", SessionProblem.InvalidCookie.Type },
        { "{\"cookie\":{\"maxAge\":-1}}", SessionProblem.InvalidCookie.Type },
        { "{\"cookie\":{\"maxAge\":99999999999999}}", SessionProblem.InvalidCookie.Type },
        { "{\"cookie\":{\"maxAge\":1e400}}", SessionProblem.InvalidCookie.Type },
        { "{\"cookie\":{\"sameSite\":\"sometimes\"}}", SessionProblem.InvalidCookie.Type },
        { "{\"cookie\":{\"sameSite\":\"none\"}}", SessionProblem.InvalidCookie.Type },
        { "{\"cookie\":{\"secure\":\"yes\"}}", SessionProblem.InvalidCookie.Type },
        { "{\"cookie\":{\"secure\":true}}", SessionProblem.InvalidCookie.Type },
        { "{\"cookie\":{\"expires\":\"tomorrow\"}}", SessionProblem.InvalidCookie.Type },
        { "{\"cookie\":{\"expires\":\"2001-01-01T00:00:00.000Z\"}}", SessionProblem.InvalidCookie.Type },
        { "{\"cookie\":{\"httpOnly\":false}}", SessionProblem.InvalidCookie.Type },
        { "{\"cookie\":{\"domain\":\"evil.example\"}}", SessionProblem.InvalidCookie.Type },
        { "{\"cookie\":{\"path\":\"/other\"}}", SessionProblem.InvalidCookie.Type },
        { "{\"cookie\":{\"priority\":\"urgent\"}}", SessionProblem.InvalidCookie.Type },
        { "{\"cookie\":{\"colour\":\"blue\"}}", SessionProblem.InvalidCookie.Type },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_bodies_are_400_and_change_nothing(string body, string type)
    {
        var client = await WithSessionAsync();
        var before = (await client.GetAsync()).Body;
        foreach (var send in new Func<Task<SessionResponse>>[]
                 {
                     () => client.PutAsync(body),
                     () => client.RegenerateAsync(body),
                     () => client.PostAsync(json: body),
                 })
        {
            var response = await send();
            await AssertProblem(response, 400, type);
        }
        Assert.Equal(before, (await client.GetAsync()).Body);
    }

    [Fact]
    public async Task A_body_too_deep_is_400() =>
        await AssertProblem(await _api.CreateSessionClient().PutAsync(new string('[', 70) + new string(']', 70)), 400, SessionProblem.InvalidJson.Type);

    [Fact]
    public async Task Echoing_the_cookie_read_from_get_is_accepted()
    {
        var client = await WithSessionAsync();
        var read = await client.GetAsync();
        var json = read.Json;
        json["count"] = 2;
        var response = await client.PutAsync(json.ToJsonString());
        Assert.Equal(200, response.Status);
        Assert.Equal(2, (await client.GetAsync()).Json["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_body_over_the_limit_is_413_with_or_without_content_length()
    {
        var client = await WithSessionAsync();
        var big = "{\"x\":\"" + new string('a', 2000) + "\"}";
        await AssertProblem(await client.PutAsync(big), 413, SessionProblem.BodyTooLarge.Type);
        var chunked = await client.SendAsync(HttpMethod.Put, "/api/session", null, r =>
        {
            r.Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
            r.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        });
        await AssertProblem(chunked, 413, SessionProblem.BodyTooLarge.Type);
        Assert.Equal(1, (await client.GetAsync()).Json["count"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData("")]
    public async Task A_body_that_is_not_json_is_415(string contentType)
    {
        var client = await WithSessionAsync();
        var response = await client.SendAsync(HttpMethod.Put, "/api/session", null, r =>
        {
            r.Content = new ByteArrayContent("{\"count\":2}"u8.ToArray());
            if (contentType.Length > 0) r.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        });
        await AssertProblem(response, 415, SessionProblem.UnsupportedMediaType.Type);
    }

    [Fact]
    public async Task Put_needs_a_body()
    {
        var client = await WithSessionAsync();
        await AssertProblem(await client.SendAsync(HttpMethod.Put, "/api/session", null, null), 400, SessionProblem.BodyRequired.Type);
    }

    [Fact]
    public async Task Regenerate_without_a_session_is_404()
    {
        var response = await _api.CreateSessionClient().RegenerateAsync("""{"nick":"ada"}""");
        await AssertProblem(response, 404, SessionProblem.NotFound.Type);
    }

    [Theory]
    [InlineData("koa.sid=;koa.sid.sig=")]
    [InlineData("koa.sid=\"; koa.sid.sig=\"")]
    [InlineData("koa.sid=%00%ff; koa.sid.sig=%%%")]
    [InlineData("koa.sid")]
    [InlineData(";;;;=;=")]
    [InlineData("koa.sid=\u00e9t\u00e9; koa.sid.sig=\u00e9")]
    public async Task Garbage_cookies_are_no_session(string cookie)
    {
        var client = _api.CreateSessionClient();
        var response = await client.SendAsync(HttpMethod.Get, "/api/session", null, r => r.Headers.TryAddWithoutValidation("Cookie", cookie));
        await AssertProblem(response, 404, SessionProblem.NotFound.Type);
        Assert.Equal(204, (await client.SendAsync(HttpMethod.Delete, "/api/session", null, r => r.Headers.TryAddWithoutValidation("Cookie", cookie))).Status);
        var put = await client.SendAsync(HttpMethod.Put, "/api/session", """{"a":1}""", r => r.Headers.TryAddWithoutValidation("Cookie", cookie));
        Assert.Equal(201, put.Status);
    }

    [Fact]
    public async Task Unknown_methods_and_routes_get_problem_responses()
    {
        var client = _api.CreateSessionClient();
        var trace = await client.SendAsync(HttpMethod.Trace, "/api/session", null, null);
        Assert.Equal(405, trace.Status);
        Assert.Equal("application/problem+json", trace.ContentType?.MediaType);
        var missing = await client.GetAsync("/api/nothing");
        Assert.Equal(404, missing.Status);
        Assert.Equal("application/problem+json", missing.ContentType?.MediaType);
    }
}
