using System.Buffers.Text;
using System.Security.Cryptography;
using StackExchange.Redis;

// The physical limit of the session API's work: one GET per read, one SETEX per write, nothing else (no signature,
// no JSON, no change detection). Same Redis client (StackExchange.Redis), same key layout.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var options = ConfigurationOptions.Parse(builder.Configuration["Redis:ConnectionString"]!);
options.AbortOnConnectFail = false;
options.TieBreaker = "";
var redis = await ConnectionMultiplexer.ConnectAsync(options);
// StackExchange.Redis 1.x completes every command on one ordered queue unless told otherwise; 2.x never does.
redis.PreserveAsyncOrder = false;
var database = redis.GetDatabase();
var ttl = TimeSpan.FromDays(1);
var app = builder.Build();

static string Key(HttpRequest request) => "koa:sess:" + request.Cookies["koa.sid"];

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

// Rolling: the least a rolling read can do with koa-redis' commands is read the value, then write it back with a fresh TTL.
app.MapGet("/limit/rolling", async (HttpContext http) =>
{
    var key = Key(http.Request);
    var value = await database.StringGetAsync(key);
    if (value.IsNull) { http.Response.StatusCode = 404; return; }
    await database.StringSetAsync(key, value, ttl);
    http.Response.ContentType = "application/json";
    await http.Response.WriteAsync((string)value!);
});

app.Run();
