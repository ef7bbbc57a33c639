using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using SessionFunctions.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SessionFunctions.Tests;

/// <summary>
/// Property-based fuzz over real HTTP (a Kestrel process and its own redis-server): cookies, bodies, cookie overrides,
/// headers, methods and paths, from FsCheck generators with a fixed seed (set FUZZ_SEED to explore others). Every
/// response must be below 500; every 4xx must be problem+json with a type and must leave every Redis key, value and TTL
/// as it was; no client-chosen sid may ever be stored or set; what is stored spells strings as JSON.stringify does; and
/// where the request has exactly one thing wrong, the answer is the documented one. Then the known cases by hand, and
/// the malformed HTTP that Kestrel answers itself.
/// </summary>
public sealed class FuzzTests(FuzzServer server, ITestOutputHelper output) : IClassFixture<FuzzServer>
{
    private const int PoolSize = 4;
    // Up to MaxCases per dimension in Budget; at least MinCases whatever the time, so a loaded machine (CI shares two cores
    // with Redis and the server) takes longer rather than testing less.
    private const int MaxCases = 2500;
    private const int MinCases = 200;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(4.5);

    private readonly List<string> _pool = [];

    // ---- the fuzz, one dimension at a time on top of otherwise valid requests ----

    [Fact]
    public Task Fuzzed_cookies_never_get_a_5xx_and_rejected_requests_change_no_redis_key() => FuzzAsync(101,
        from target in FuzzInputs.ValidTarget()
        from cookie in FuzzInputs.Cookie(PoolSize)
        from body in BodyFor(target)
        select new FuzzCase(target, HeaderSpec.Json, body, cookie));

    [Fact]
    public Task Fuzzed_bodies_never_get_a_5xx_and_rejected_requests_change_no_redis_key() => FuzzAsync(202,
        from target in FuzzInputs.BodyTarget()
        from cookie in ValidOrNoCookie()
        from body in FuzzInputs.Body(FuzzServer.MaxBodyBytes)
        select new FuzzCase(target, HeaderSpec.Json, body, cookie));

    [Fact]
    public Task Fuzzed_cookie_overrides_never_get_a_5xx_and_rejected_requests_change_no_redis_key() => FuzzAsync(303,
        from target in FuzzInputs.BodyTarget()
        from cookie in ValidOrNoCookie()
        from body in FuzzInputs.OverrideBody()
        select new FuzzCase(target, HeaderSpec.Json, body, cookie));

    [Fact]
    public Task Fuzzed_headers_never_get_a_5xx_and_rejected_requests_change_no_redis_key() => FuzzAsync(404,
        from target in Gen.Frequency((3, FuzzInputs.BodyTarget()), (1, FuzzInputs.ValidTarget()))
        from headers in FuzzInputs.Headers()
        from cookie in ValidOrNoCookie()
        from body in Gen.Frequency((4, FuzzInputs.SimpleBody()), (1, FuzzInputs.Body(FuzzServer.MaxBodyBytes)))
        select new FuzzCase(target, headers, body, cookie));

    [Fact]
    public Task Fuzzed_methods_and_paths_never_get_a_5xx_and_rejected_requests_change_no_redis_key() => FuzzAsync(505,
        from target in FuzzInputs.AnyTarget()
        from headers in Gen.Frequency((3, Gen.Constant(HeaderSpec.Json)), (1, FuzzInputs.Headers()))
        from cookie in Gen.Frequency((2, ValidOrNoCookie()), (1, FuzzInputs.Cookie(PoolSize)))
        from body in Gen.Frequency((2, Gen.Constant(FuzzBody.None)), (2, FuzzInputs.SimpleBody()), (1, FuzzInputs.Body(FuzzServer.MaxBodyBytes)))
        select new FuzzCase(target, headers, body, cookie));

    private static Gen<FuzzBody> BodyFor(Target target) =>
        target.Route is Route.Get or Route.Remove
            ? Gen.Constant(FuzzBody.None)
            : Gen.Frequency((3, FuzzInputs.SimpleBody()), (1, Gen.Constant(FuzzBody.None)));

    private static Gen<CookieSpec> ValidOrNoCookie() =>
        Gen.Frequency(
            (3, Gen.Choose(0, PoolSize - 1).Select(i => new CookieSpec(CookieKind.Valid, i, (i + 1) % PoolSize, ""))),
            (1, Gen.Constant(CookieSpec.None)));

    private sealed class Report(string name, ulong seed)
    {
        private readonly SortedDictionary<int, int> _statuses = [];
        private readonly Dictionary<string, int> _reasons = [];
        private readonly List<string> _examples = [];

        public int Requests { get; private set; }

        public int Failed { get; private set; }

        /// <summary>Requests whose exact answer was predicted (one thing wrong, or nothing).</summary>
        public int Predicted { get; set; }

        public int ServerErrors => _statuses.Where(s => s.Key >= 500).Sum(s => s.Value);

        public void Count(int status)
        {
            Requests++;
            _statuses[status] = _statuses.GetValueOrDefault(status) + 1;
        }

        public void Fail(List<string> reasons, FuzzCase fuzz, byte[] request, RawResponse response)
        {
            Failed++;
            var fresh = false;
            // Grouped by what went wrong and by the kind of body that did it, e.g. "500 ← lone surrogate in a key".
            var family = fuzz.Body.Label.Split(" (")[0];
            foreach (var reason in reasons)
            {
                var key = $"{reason.Split(':')[0]} ← {family}";
                fresh |= !_reasons.ContainsKey(key);
                _reasons[key] = _reasons.GetValueOrDefault(key) + 1;
            }
            // Keep the first example of each kind of failure, then a few more.
            if (fresh || _examples.Count < 8)
            {
                _examples.Add($"""
                    - {string.Join("\n  ", reasons)}
                      case: {fuzz}
                      response: {response.Summary(300)}
                      request:
                    {RawHttp.Describe(request, 700)}
                    """);
            }
        }

        public string Summary() =>
            $"{name} (seed {seed}): {Requests} requests ({Predicted} with a predicted answer), {ServerErrors} 5xx, {Failed} failed; statuses "
            + string.Join(", ", _statuses.Select(s => $"{s.Key}×{s.Value}"));

        public string Details() =>
            Summary() + "\nfailures by reason:\n" + string.Join("\n", _reasons.OrderByDescending(r => r.Value).Select(r => $"  {r.Value}× {r.Key}"))
            + "\nexamples:\n" + string.Join("\n", _examples.Take(20));
    }

    private async Task FuzzAsync(ulong dimension, Gen<FuzzCase> cases, [System.Runtime.CompilerServices.CallerMemberName] string name = "")
    {
        // A fixed seed per dimension makes a failure reproducible; FUZZ_SEED explores other inputs.
        var seed = ulong.TryParse(Environment.GetEnvironmentVariable("FUZZ_SEED"), NumberStyles.None, CultureInfo.InvariantCulture, out var chosen)
            ? chosen + dimension
            : 20261122 + dimension;
        var report = new Report(name, seed);
        var before = await RefillPoolAsync(await server.Redis.SnapshotAsync());
        var clock = Stopwatch.StartNew();
        foreach (var fuzz in cases.Sample(MaxCases, new Rnd(seed), 30))
        {
            if (clock.Elapsed > Budget && report.Requests >= MinCases) break;
            var (request, sids) = Materialize(fuzz);
            RawResponse response;
            try
            {
                response = await RawHttp.SendAsync(server.Port, request, TimeSpan.FromSeconds(15), headOnly: fuzz.Target.Method == "HEAD");
            }
            catch (TimeoutException)
            {
                report.Count(0);
                report.Fail(["hang: no complete response within 15 s"], fuzz, request, RawResponse.NoResponse);
                break;
            }
            var after = await server.Redis.SnapshotAsync();
            report.Count(response.Status);
            if (fuzz.Expect(FuzzServer.MaxBodyBytes) is not null) report.Predicted++;
            var reasons = Check(fuzz, response, before, after, sids);
            if (reasons.Count > 0) report.Fail(reasons, fuzz, request, response);
            before = await FollowPoolAsync(fuzz, response, after, report.Requests);
        }
        output.WriteLine(report.Summary());
        Assert.True(report.Failed == 0, report.Details());
        Assert.True(report.Requests >= MinCases, $"Only {report.Requests} requests ran.");
    }

    /// <summary>The request's bytes, and the sids its Cookie headers carry (for the fixation check).</summary>
    private (byte[] Request, List<string> Sids) Materialize(FuzzCase fuzz)
    {
        var headers = fuzz.Headers.Headers.Select(h => (h.Name, h.Value.Replace("{origin}", server.Origin, StringComparison.Ordinal))).ToList();
        var cookie = fuzz.Cookie;
        var sid = _pool[cookie.Session];
        var other = _pool[cookie.Other];
        var cookieHeaders = cookie.Kind switch
        {
            CookieKind.None => [],
            CookieKind.Valid => [FuzzServer.CookieFor(sid)],
            CookieKind.OldKey => [FuzzServer.CookieFor(sid, key: 1)],
            CookieKind.SwappedSig => [$"koa.sid={sid}; koa.sid.sig={FuzzServer.Sign(other)}"],
            CookieKind.SidOnly => [$"koa.sid={sid}"],
            CookieKind.SigOnly => [$"koa.sid.sig={FuzzServer.Sign(sid)}"],
            CookieKind.BadSig => [$"koa.sid={sid}; koa.sid.sig={cookie.Text}"],
            CookieKind.SignedUnknown => [FuzzServer.CookieFor(cookie.Text)],
            CookieKind.Garbage => [cookie.Text],
            CookieKind.DuplicateSid => [$"koa.sid={other}; koa.sid={sid}; koa.sid.sig={FuzzServer.Sign(sid)}"],
            CookieKind.TwoHeaders => [FuzzServer.CookieFor(sid), cookie.Text switch
            {
                "forged" => $"koa.sid={other}; koa.sid.sig={FuzzServer.Sign(sid)}",
                "signed-unknown" => FuzzServer.CookieFor("x" + sid),
                _ => "koa.sid=; koa.sid.sig=",
            }],
            CookieKind.PercentEncoded => [$"koa.sid={string.Concat(sid.Select(c => $"%{(int)c:X2}"))}; koa.sid.sig={FuzzServer.Sign(sid)}"],
            _ => (string[])[],
        };
        headers.AddRange(cookieHeaders.Select(c => ("Cookie", c)));
        var body = fuzz.Headers.Gzip ? FuzzInputs.Gzip(fuzz.Body.Bytes) : fuzz.Body.Bytes;
        if (fuzz.Headers.Chunked) headers.Add(("Transfer-Encoding", "chunked"));
        var request = RawHttp.Request(fuzz.Target.Method, fuzz.Target.Path, headers, body.Length > 0 || fuzz.Headers.Chunked ? body : null, server.Port);

        var sids = new List<string>();
        foreach (var pair in cookieHeaders.SelectMany(h => h.Split(';')).Select(p => p.Trim()).Where(p => p.StartsWith("koa.sid=", StringComparison.Ordinal)))
        {
            var value = pair["koa.sid=".Length..];
            sids.Add(value);
            try
            {
                sids.Add(Uri.UnescapeDataString(value));
            }
            catch (UriFormatException)
            {
            }
        }
        return (request, sids);
    }

    private static List<string> Check(FuzzCase fuzz, RawResponse response, RedisSnapshot before, RedisSnapshot after, List<string> sids)
    {
        var reasons = new List<string>();
        if (response.Status == 0) reasons.Add("no response: the server closed the connection");
        if (response.Status >= 500) reasons.Add($"{response.Status}: a server error from client input");
        if (response.Status is >= 400 and < 500)
        {
            if (!response.IsProblem) reasons.Add($"{response.Status} not problem+json: Content-Type {response.Header("Content-Type") ?? "(none)"}");
            else if (fuzz.Target.Method != "HEAD" && string.IsNullOrEmpty(response.ProblemType)) reasons.Add($"{response.Status} problem without a type: {response.Text}");
        }
        if (response.Status >= 400)
        {
            // A failed request (a 5xx too) must not have deleted, altered or kept alive anything.
            var changes = after.ChangesSince(before);
            if (changes.Count > 0) reasons.Add($"rejected request changed Redis: {string.Join("; ", changes.Take(4))}");
        }
        if (fuzz.Expect(FuzzServer.MaxBodyBytes) is { } expected)
        {
            var met = expected.Problem is null
                ? response.Status is >= 200 and < 300
                : response.Status == expected.Status && response.ProblemType == FuzzServer.ProblemPrefix + expected.Problem;
            if (!met) reasons.Add($"expected {expected}: got {response.Status} {response.ProblemType}");
        }
        // Session fixation: a sid the client chose, that the store did not hold, is never stored nor handed back.
        var setSid = response.SetCookie("koa.sid");
        foreach (var sid in sids.Where(s => s.Length > 0 && !before.Keys.ContainsKey(FuzzServer.StoreKey(s))).Distinct())
        {
            if (after.Keys.ContainsKey(FuzzServer.StoreKey(sid)) || setSid == sid) reasons.Add($"fixation: the client's sid {sid} was adopted");
        }
        // Whatever was written must spell its strings as Koa's JSON.stringify would.
        foreach (var (key, entry) in after.Keys)
        {
            if (before.Keys.TryGetValue(key, out var old) && old.Value.AsSpan().SequenceEqual(entry.Value)) continue;
            var misspelled = JavaScriptJson.Misspelled(entry.Value);
            if (misspelled.Count > 0) reasons.Add($"stored not as JSON.stringify writes it: {key}: {string.Join("; ", misspelled.Take(3))}");
        }
        return reasons;
    }

    /// <summary>
    /// Follows the pool after a request: a 2xx that set a new pair replaced the session; a pool session that is gone
    /// (removed, or expired after a fuzzed maxAge) is recreated; now and then, keys outside the pool are cleared.
    /// </summary>
    private async Task<RedisSnapshot> FollowPoolAsync(FuzzCase fuzz, RawResponse response, RedisSnapshot after, int count)
    {
        if (response.Status is >= 200 and < 300 && fuzz.Cookie.Kind != CookieKind.None && response.SetCookie("koa.sid") is { Length: > 0 } sid)
            _pool[fuzz.Cookie.Session] = sid;
        if (count % 250 == 0)
        {
            var pooled = _pool.Select(FuzzServer.StoreKey).ToHashSet(StringComparer.Ordinal);
            var stale = after.Keys.Keys.Where(k => !pooled.Contains(k)).Select(k => (StackExchange.Redis.RedisKey)k).ToArray();
            if (stale.Length > 0) await server.Redis.Database.KeyDeleteAsync(stale);
            after = await server.Redis.SnapshotAsync();
        }
        return await RefillPoolAsync(after);
    }

    private async Task<RedisSnapshot> RefillPoolAsync(RedisSnapshot snapshot)
    {
        var refilled = false;
        for (var i = 0; i < PoolSize; i++)
        {
            if (i < _pool.Count && snapshot.Keys.ContainsKey(FuzzServer.StoreKey(_pool[i]))) continue;
            var sid = await server.CreateSessionAsync($$"""{"pool":{{i}},"name":"ada"}""");
            if (i < _pool.Count) _pool[i] = sid;
            else _pool.Add(sid);
            refilled = true;
        }
        return refilled ? await server.Redis.SnapshotAsync() : snapshot;
    }

    // ---- the known cases, by hand ----

    public static readonly string[] BodyRoutes = ["POST /api/session", "PUT /api/session", "POST /api/session/regenerate"];

    private async Task<(string Sid, string Cookie, RedisSnapshot Before)> SessionAsync()
    {
        var sid = await server.CreateSessionAsync("""{"nick":"ada","visits":1}""");
        return (sid, FuzzServer.CookieFor(sid), await server.Redis.SnapshotAsync());
    }

    private Task<RawResponse> SendBodyAsync(string route, string? cookie, byte[] body, string contentType = "application/json", params (string, string)[] extra)
    {
        var (method, path) = (route.Split(' ')[0], route.Split(' ')[1]);
        List<(string, string)> headers = [("Content-Type", contentType), .. extra];
        if (cookie is not null) headers.Add(("Cookie", cookie));
        return server.SendAsync(method, path, headers, body);
    }

    private static void AssertProblem(RawResponse response, int status, string type)
    {
        Assert.True(response.Status == status && response.ProblemType == FuzzServer.ProblemPrefix + type,
            $"expected {status} {type}, got {response.Summary()}");
    }

    /// <summary>The session is still there, unchanged, and still works with its cookie.</summary>
    private async Task AssertUnchangedAsync(string sid, RedisSnapshot before)
    {
        var changes = (await server.Redis.SnapshotAsync()).ChangesSince(before);
        Assert.True(changes.Count == 0, "A rejected request changed Redis:\n" + string.Join("\n", changes));
        var read = await server.SendAsync("GET", "/api/session", [("Cookie", FuzzServer.CookieFor(sid))]);
        Assert.Equal(200, read.Status);
        Assert.Equal("ada", JsonNode.Parse(read.Body)!["nick"]!.GetValue<string>());
    }

    public static TheoryData<string, string> LoneSurrogates()
    {
        var data = new TheoryData<string, string>();
        foreach (var route in BodyRoutes)
        {
            foreach (var body in (string[])[
                         """{"s":"\ud800"}""", """{"s":"\udc00"}""", """{"s":"\udc00\ud800"}""", """{"\ud800":1}""",
                         """{"nick":"ada","deep":[{"x":"a\udfffb"}]}""", """{"s":"end\ud83d"}""", """{"s":"\uD800\u0041"}"""])
            {
                data.Add(route, body);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(LoneSurrogates))]
    public async Task A_lone_surrogate_escape_is_400_invalid_json_and_leaves_the_session_unchanged(string route, string body)
    {
        var (sid, cookie, before) = await SessionAsync();
        AssertProblem(await SendBodyAsync(route, cookie, FuzzServer.Utf8(body)), 400, "invalid-json");
        await AssertUnchangedAsync(sid, before);
    }

    public static TheoryData<string, string> InvalidUtf8()
    {
        var data = new TheoryData<string, string>();
        foreach (var route in BodyRoutes)
        {
            // A stray byte, an overlong '/', a UTF-8-encoded surrogate, a truncated sequence, beyond U+10FFFF, in a key.
            foreach (var hex in (string[])["7B2273223A22FF227D", "7B2273223A22C0AF227D", "7B2273223A22EDA080227D", "7B2273223A22E6BC227D", "7B2273223A22F4908080227D", "7B22C3223A317D"])
                data.Add(route, hex);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(InvalidUtf8))]
    public async Task Invalid_utf8_in_a_body_is_400_invalid_json_and_leaves_the_session_unchanged(string route, string hex)
    {
        var (sid, cookie, before) = await SessionAsync();
        AssertProblem(await SendBodyAsync(route, cookie, Convert.FromHexString(hex)), 400, "invalid-json");
        await AssertUnchangedAsync(sid, before);
    }

    public static TheoryData<string, string> HugeMaxAges()
    {
        var data = new TheoryData<string, string>();
        foreach (var route in BodyRoutes)
        {
            foreach (var maxAge in (string[])["922337203685478", "922337203685477", "9223372036854775807", "-9223372036854775808", "1e300", "1.7976931348623157e308", "99999999999999999999"])
                data.Add(route, maxAge);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(HugeMaxAges))]
    public async Task A_huge_cookie_max_age_is_400_invalid_cookie_and_leaves_the_session_unchanged(string route, string maxAge)
    {
        var (sid, cookie, before) = await SessionAsync();
        AssertProblem(await SendBodyAsync(route, cookie, FuzzServer.Utf8("""{"nick":"eve","cookie":{"maxAge":""" + maxAge + "}}")), 400, "invalid-cookie");
        await AssertUnchangedAsync(sid, before);
    }

    [Fact]
    public async Task Non_ascii_text_is_stored_as_raw_utf8_byte_identical_to_json_stringify()
    {
        // Every kind of string JSON.stringify treats specially: raw non-ASCII, escaped controls, quotes, separators.
        var fields = new FuzzInputs.JObject(
        [
            ("emoji", new FuzzInputs.JString("😀👍🏽🇫🇷𝄞")), ("cjk", new FuzzInputs.JString("漢字かな한국어")), ("latin", new FuzzInputs.JString("ÆØÅ é ß ñ")),
            ("html", new FuzzInputs.JString("<a href='x'>&amp;</a> +`")), ("controls", new FuzzInputs.JString("\u0001\b\t\n\f\r\u001f\u007f\u0080")),
            ("separators", new FuzzInputs.JString("\u2028\u2029\ufeff\ufffe\uffff")), ("quotes", new FuzzInputs.JString("\"\\/")), ("ключ", new FuzzInputs.JString("значение")),
        ]);
        foreach (var escaped in (bool[])[false, true])
        {
            var response = await SendBodyAsync("POST /api/session", null, FuzzServer.Utf8(FuzzInputs.Write(fields, () => escaped)));
            Assert.True(response.Status == 201, response.Summary());
            var stored = (byte[])(await server.Redis.Database.StringGetAsync(FuzzServer.StoreKey(response.SetCookie("koa.sid")!)))!;
            var text = Encoding.UTF8.GetString(stored);
            Assert.Empty(JavaScriptJson.Misspelled(stored));
            Assert.Contains("\"emoji\":\"😀👍🏽🇫🇷𝄞\",\"cjk\":\"漢字かな한국어\"", text, StringComparison.Ordinal);
            Assert.Contains("\"controls\":\"\\u0001\\b\\t\\n\\f\\r\\u001f\u007f\u0080\"", text, StringComparison.Ordinal);
            Assert.Contains("\"ключ\":\"значение\"", text, StringComparison.Ordinal);
            // The reference: what Koa would store for the same session, byte for byte.
            Assert.Equal(text, Encoding.UTF8.GetString(await Node.RestringifyAsync(stored)));
        }

        // A body of emoji is stored at its own size, not three times it (\ud83d\ude00 is 12 bytes for 4).
        var emoji = FuzzServer.Utf8($$"""{"e":"{{string.Concat(Enumerable.Repeat("😀", 1900))}}"}""");
        var big = await SendBodyAsync("POST /api/session", null, emoji);
        Assert.True(big.Status == 201, big.Summary());
        var length = ((byte[])(await server.Redis.Database.StringGetAsync(FuzzServer.StoreKey(big.SetCookie("koa.sid")!)))!).Length;
        Assert.InRange(length, emoji.Length, emoji.Length + 400);
    }

    [Theory]
    [InlineData("application/json; charset=\"UTF-8\"")]
    [InlineData("application/json;charset=\"utf-8\"")]
    [InlineData("Application/JSON; Charset=UTF-8")]
    public async Task A_utf8_json_content_type_is_accepted_however_it_is_spelled(string contentType)
    {
        var response = await SendBodyAsync("POST /api/session", null, FuzzServer.Utf8("""{"nick":"ada"}"""), contentType);
        Assert.True(response.Status == 201, response.Summary());
    }

    [Theory]
    [InlineData("gzip", true)]
    [InlineData("gzip", false)]
    [InlineData("deflate", false)]
    [InlineData("br", false)]
    public async Task A_content_encoding_is_415_and_leaves_the_session_unchanged(string encoding, bool compress)
    {
        var (sid, cookie, before) = await SessionAsync();
        var body = FuzzServer.Utf8("""{"nick":"eve"}""");
        foreach (var route in BodyRoutes)
        {
            var response = await SendBodyAsync(route, cookie, compress ? FuzzInputs.Gzip(body) : body, "application/json", ("Content-Encoding", encoding));
            AssertProblem(response, 415, "unsupported-media-type");
        }
        await AssertUnchangedAsync(sid, before);
    }

    // ---- malformed HTTP ----

    private const string Put = "PUT /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";

    /// <summary>
    /// Requests Kestrel answers itself, before any app code runs (no middleware, no exception handler, no status-code
    /// page sees them): only their status is asserted, and that Redis is untouched. Found by probing Kestrel in .NET 10.
    /// </summary>
    private static readonly Dictionary<string, (string Request, int Status)> Rejections = new()
    {
        ["no Host"] = ("PUT /api/session HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", 400),
        ["two Host headers"] = ("GET /api/session HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ["a space in Host"] = ("GET /api/session HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
        ["userinfo in Host"] = ("GET /api/session HTTP/1.1\r\nHost: user@evil.example\r\n\r\n", 400),
        ["absolute-form naming another host"] = ("GET http://evil.example/api/session HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
        ["NUL in a header value"] = (Put + "X-A: a\0b\r\nContent-Length: 2\r\n\r\n{}", 400),
        ["invalid UTF-8 in a header value"] = (Put + "Cookie: koa.sid=\u00e9\r\nContent-Length: 2\r\n\r\n{}", 400),
        ["a header line without a colon"] = (Put + "NoColon\r\nContent-Length: 2\r\n\r\n{}", 400),
        ["an obs-fold header line"] = (Put + "X-A: a\r\n b\r\nContent-Length: 2\r\n\r\n{}", 400),
        ["a space in a header name"] = (Put + "X A: b\r\nContent-Length: 2\r\n\r\n{}", 400),
        ["Content-Length not a number"] = (Put + "Content-Length: abc\r\n\r\n{}", 400),
        ["Content-Length negative"] = (Put + "Content-Length: -1\r\n\r\n{}", 400),
        ["two different Content-Lengths"] = (Put + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400),
        ["a Content-Length list"] = (Put + "Content-Length: 2, 2\r\n\r\n{}", 400),
        ["Content-Length beyond 64 bits"] = (Put + "Content-Length: 99999999999999999999999\r\n\r\n{}", 400),
        ["Transfer-Encoding not ending in chunked"] = (Put + "Transfer-Encoding: gzip\r\n\r\n{}", 400),
        ["headers over 32 KiB"] = (Put + "X-Big: " + new string('a', 40_000) + "\r\nContent-Length: 2\r\n\r\n{}", 431),
        ["over 100 headers"] = (Put + string.Concat(Enumerable.Range(0, 120).Select(i => $"X-{i}: a\r\n")) + "Content-Length: 2\r\n\r\n{}", 431),
        ["a request target over 8 KiB"] = ("GET /api/session?" + new string('a', 9000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414),
        ["an extra token in the request line"] = ("GET /api/session HTTP/1.1 extra\r\nHost: 127.0.0.1\r\n\r\n", 400),
        ["a bad character in the method"] = ("PO(T /api/session HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
        ["an encoded NUL in the path"] = ("GET /api/%00 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
        ["a raw non-ASCII byte in the path"] = ("GET /api/\u00ff HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
        ["a target without a leading slash"] = ("GET api/session HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 400),
        ["an asterisk target on GET"] = ("GET * HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 405),
        ["HTTP/1.2"] = ("GET /api/session HTTP/1.2\r\nHost: 127.0.0.1\r\n\r\n", 505),
    };

    public static TheoryData<string> KestrelRejections() => new(Rejections.Keys);

    [Theory]
    [MemberData(nameof(KestrelRejections))]
    public async Task Malformed_http_that_kestrel_rejects_before_the_app_gets_its_status_and_changes_nothing(string name)
    {
        var (request, status) = Rejections[name];
        var (sid, cookie, before) = await SessionAsync();
        // Latin-1, so "\u00e9" and "\u00ff" go out as the single (invalid UTF-8) bytes E9 and FF.
        var bytes = Encoding.Latin1.GetBytes(request.Replace("Host: 127.0.0.1\r\n", $"Host: 127.0.0.1:{server.Port}\r\nCookie: {cookie}\r\n", StringComparison.Ordinal));
        var response = await RawHttp.SendAsync(server.Port, bytes);
        Assert.True(response.Status == status, $"{name}: expected {status}, got {response.Summary()}");
        // Kestrel's own answer has no body; should a later ASP.NET Core let the app give it one, it must be a problem.
        Assert.True(response.Body.Length == 0 || response.IsProblem, $"{name}: {response.Summary()}");
        await AssertUnchangedAsync(sid, before);
    }

    /// <summary>Malformed bodies that reach the app (Kestrel throws while the app reads them): a problem, and no change.</summary>
    [Theory]
    [InlineData("a bad chunk size", "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400)]
    [InlineData("a chunk without its CRLF", "Transfer-Encoding: chunked\r\n\r\n2\r\n{}XX0\r\n\r\n", 400)]
    [InlineData("a chunk size beyond 32 bits", "Transfer-Encoding: chunked\r\n\r\nfffffffffffff\r\n{}\r\n0\r\n\r\n", 400)]
    public async Task A_malformed_body_the_app_reads_is_a_problem_and_changes_nothing(string name, string rest, int status)
    {
        var (sid, cookie, before) = await SessionAsync();
        var request = Encoding.Latin1.GetBytes($"PUT /api/session HTTP/1.1\r\nHost: 127.0.0.1:{server.Port}\r\nContent-Type: application/json\r\nCookie: {cookie}\r\n{rest}");
        var response = await RawHttp.SendAsync(server.Port, request);
        Assert.True(response.Status == status && response.ProblemType is { Length: > 0 }, $"{name}: expected a {status} problem, got {response.Summary()}");
        await AssertUnchangedAsync(sid, before);
    }

    [Fact]
    public async Task A_body_that_stalls_or_is_shorter_than_its_content_length_gets_408_problem()
    {
        var (sid, cookie, before) = await SessionAsync();
        var head = $"PUT /api/session HTTP/1.1\r\nHost: 127.0.0.1:{server.Port}\r\nContent-Type: application/json\r\nCookie: {cookie}\r\n";
        var clock = Stopwatch.StartNew();
        // Both at once: Kestrel's MinRequestBodyDataRate (240 B/s after a 5 s grace) ends each.
        var responses = await Task.WhenAll(
            RawHttp.SendAsync(server.Port, Encoding.ASCII.GetBytes(head + "Content-Length: 100\r\n\r\n{\"nick\":\"eve\""), TimeSpan.FromSeconds(20)),
            RawHttp.SendAsync(server.Port, Encoding.ASCII.GetBytes(head + "Transfer-Encoding: chunked\r\n\r\n40\r\n{\"nick\":"), TimeSpan.FromSeconds(20)));
        output.WriteLine($"stalled bodies answered after {clock.Elapsed.TotalSeconds:F1} s: {string.Join(" | ", responses.Select(r => r.Summary(200)))}");
        foreach (var response in responses)
        {
            Assert.True(response.Status == 408 && response.ProblemType is { Length: > 0 }, $"expected a 408 problem, got {response.Summary()}");
        }
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(15));
        await AssertUnchangedAsync(sid, before);
    }
}
