using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

// The benchmark's .NET peer: ASP.NET Core Session (app.UseSession) on IDistributedCache, here Redis through
// Microsoft.Extensions.Caching.StackExchangeRedis, used as its documentation shows. The session is ISession's dictionary:
// each top-level field of the JSON the benchmark sends is one entry, its JSON text stored with SetString, and a read
// answers the entries as one JSON object.
//   GET    /peer/session   the session's fields; 404 when it has none
//   POST   /peer/session   a session of the body's fields; 201 (no cookie: a new session and its cookie)
//   PUT    /peer/session   every field replaced by the body's; no ETag, no If-Match: the last writer wins
//   PATCH  /peer/session   the body's top-level fields merged in (null removes one), as a JSON merge patch one level deep
// Every handler loads the session asynchronously before touching it (await LoadAsync: without it, the first access
// loads it synchronously) and a write commits before answering (await CommitAsync: the middleware would otherwise
// commit after the response, and log a failed save instead of failing the request), as the documentation recommends.
var builder = WebApplication.CreateBuilder(args);

// Per-request framework logs would cost more than the session; at Information, DistributedSession would also read the
// session once more before every save, only to log whether it is new.
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

builder.Services.AddStackExchangeRedisCache(options =>
{
    options.Configuration = builder.Configuration["Redis:ConnectionString"]
        ?? throw new InvalidOperationException("Set Redis:ConnectionString (Redis__ConnectionString).");
    // Its own keys beside koa's (koa:sess:…) in the same Redis.
    options.InstanceName = "aspnet-session:";
});
// The session cookie is data-protected. The key ring lives where DataProtection:KeysDirectory says (the harness gives
// each run a directory of its own and removes it), not in the user's profile.
var keys = builder.Configuration["DataProtection:KeysDirectory"]
    ?? Path.Combine(Path.GetTempPath(), "aspnetcore-session-peer-keys");
builder.Services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(keys));
builder.Services.AddSession(options =>
{
    // The idle timeout is the TTL of the Redis key, renewed by every request: one day, as the session API's default maxAge.
    options.IdleTimeout = TimeSpan.FromDays(1);
    options.Cookie.HttpOnly = true;
    options.Cookie.IsEssential = true;
});

var app = builder.Build();
app.UseSession();

app.MapGet("/peer/session", async (HttpContext http) =>
{
    var session = http.Session;
    await session.LoadAsync(http.RequestAborted);
    return session.Keys.Any() ? Json(session, StatusCodes.Status200OK) : Results.NotFound();
});

// The return type spelled out, so that these are route handlers whose result is written, not RequestDelegates.
app.MapPost("/peer/session", Task<IResult> (HttpContext http) => SaveAsync(http, replace: true, StatusCodes.Status201Created));
app.MapPut("/peer/session", Task<IResult> (HttpContext http) => SaveAsync(http, replace: true, StatusCodes.Status200OK));
app.MapPatch("/peer/session", Task<IResult> (HttpContext http) => SaveAsync(http, replace: false, StatusCodes.Status200OK));

app.Run();

static async Task<IResult> SaveAsync(HttpContext http, bool replace, int status)
{
    var session = http.Session;
    await session.LoadAsync(http.RequestAborted);
    using var body = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
    if (body.RootElement.ValueKind != JsonValueKind.Object) return Results.BadRequest();
    if (replace) session.Clear();
    foreach (var field in body.RootElement.EnumerateObject())
    {
        if (field.Value.ValueKind == JsonValueKind.Null && !replace) session.Remove(field.Name);
        else session.SetString(field.Name, field.Value.GetRawText());
    }
    await session.CommitAsync(http.RequestAborted);
    return Json(session, status);
}

// The entries as one JSON object: each name escaped, each value the JSON text it was stored as.
static IResult Json(ISession session, int status)
{
    var json = new StringBuilder("{");
    foreach (var key in session.Keys)
    {
        if (json.Length > 1) json.Append(',');
        json.Append(JsonSerializer.Serialize(key)).Append(':').Append(session.GetString(key));
    }
    return Results.Text(json.Append('}').ToString(), "application/json", Encoding.UTF8, status);
}
