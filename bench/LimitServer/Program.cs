using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

// The physical limit of the session API's work: per request, the one Redis command the operation cannot do without,
// and nothing else (no signature, no JSON, no change detection). Same Redis client as the API (StackExchange.Redis, the
// version Directory.Packages.props pins for every project), same key layout, same commands where the API has one:
//   read           GET
//   write          SETEX, blind (koa-redis' write; kept so the first benchmark's ratio stays comparable)
//   create         SETEX under a new id
//   rolling        GETEX … EX (read and refresh the TTL in one command)
//   cas            a compare-and-set script through EVALSHA, against the hash of the value this instance last wrote
//                  (the API's save: write only over the value the save started from; the API's script also checks the
//                  write's deadline against Redis's TIME first, which this one leaves out); answers ETag and the value
//   cas-if-match   the same script against the client's If-Match (the API's conditional save); 412 on a mismatch
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var options = ConfigurationOptions.Parse(builder.Configuration["Redis:ConnectionString"]!);
options.AbortOnConnectFail = false;
options.TieBreaker = "";
var redis = await ConnectionMultiplexer.ConnectAsync(options);
var database = redis.GetDatabase();
var ttl = TimeSpan.FromDays(1);
var ttlSeconds = (long)ttl.TotalSeconds;

// The API's compare-and-set without its deadline check (TIME): nil when the key is missing, {0, current} when it holds
// another value, {1} when written.
const string CompareAndSet = """
    local current = redis.call('GET', KEYS[1])
    if not current then return false end
    if redis.sha1hex(current) ~= ARGV[1] then return {0, current} end
    redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
    return {1}
    """;
var compareAndSetSha1 = SHA1.HashData(Encoding.UTF8.GetBytes(CompareAndSet));

// What a warm instance of the API remembers for a save: the hash of the value it last wrote per session (bounded by
// the benchmark's few hundred sessions).
var written = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
var app = builder.Build();

static string Key(HttpRequest request) => "koa:sess:" + request.Cookies["koa.sid"];

static string Hash(string value) => Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(value)));

async Task<RedisResult> CasAsync(string key, string expectedHash, string value)
{
    RedisKey[] keys = [key];
    RedisValue[] arguments = [expectedHash, value, ttlSeconds];
    try
    {
        return await database.ScriptEvaluateAsync(compareAndSetSha1, keys, arguments);
    }
    catch (RedisServerException error) when (error.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
    {
        return await database.ScriptEvaluateAsync(CompareAndSet, keys, arguments);
    }
}

static async Task WriteValueAsync(HttpContext http, string hash, string value)
{
    http.Response.Headers.ETag = "\"" + hash + "\"";
    http.Response.ContentType = "application/json";
    await http.Response.WriteAsync(value);
}

app.MapGet("/limit/read", async (HttpContext http) =>
{
    var value = await database.StringGetAsync(Key(http.Request));
    if (value.IsNull) { http.Response.StatusCode = 404; return; }
    http.Response.ContentType = "application/json";
    await http.Response.WriteAsync((string)value!);
});

app.MapPut("/limit/write", async (HttpContext http) =>
{
    using var body = new StreamReader(http.Request.Body);
    await database.StringSetAsync(Key(http.Request), await body.ReadToEndAsync(), ttl);
});

app.MapPost("/limit/create", async (HttpContext http) =>
{
    using var body = new StreamReader(http.Request.Body);
    var sid = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));
    await database.StringSetAsync("koa:sess:" + sid, await body.ReadToEndAsync(), ttl);
    http.Response.StatusCode = 201;
});

// Rolling: koa's re-save writes the same text with a fresh TTL; GETEX reads it and refreshes the TTL in one command.
// Sent through ExecuteAsync, as the API sends it.
app.MapGet("/limit/rolling", async (HttpContext http) =>
{
    var value = await database.ExecuteAsync("GETEX", (RedisKey)Key(http.Request), "EX", ttlSeconds);
    if (value.IsNull) { http.Response.StatusCode = 404; return; }
    http.Response.ContentType = "application/json";
    await http.Response.WriteAsync((string)value!);
});

// A save as the API makes one: one compare-and-set against the hash of what this instance last wrote; when another
// writer got in first (or the instance is cold), the script answers the current value and the write is tried over it.
app.MapPut("/limit/cas", async (HttpContext http) =>
{
    var key = Key(http.Request);
    using var body = new StreamReader(http.Request.Body);
    var value = await body.ReadToEndAsync();
    var expected = written.GetValueOrDefault(key, "");
    for (var attempt = 1; attempt <= 3; attempt++)
    {
        var result = await CasAsync(key, expected, value);
        if (result.IsNull) { http.Response.StatusCode = 404; return; }
        var reply = (RedisResult[])result!;
        if (reply.Length == 1)
        {
            var hash = Hash(value);
            written[key] = hash;
            await WriteValueAsync(http, hash, value);
            return;
        }
        expected = Hash((string)reply[1]!);
    }
    http.Response.StatusCode = 409;
});

// A conditional save: one compare-and-set against the client's If-Match; 412 and the current ETag when it names another value.
app.MapPut("/limit/cas-if-match", async (HttpContext http) =>
{
    var key = Key(http.Request);
    using var body = new StreamReader(http.Request.Body);
    var value = await body.ReadToEndAsync();
    var expected = http.Request.Headers.IfMatch.ToString().Trim('"');
    var result = await CasAsync(key, expected, value);
    if (result.IsNull) { http.Response.StatusCode = 412; return; }
    var reply = (RedisResult[])result!;
    if (reply.Length == 1)
    {
        await WriteValueAsync(http, Hash(value), value);
        return;
    }
    http.Response.Headers.ETag = "\"" + Hash((string)reply[1]!) + "\"";
    http.Response.StatusCode = 412;
});

app.Run();
