using SessionFunctions;
using SessionFunctions.Configuration;
using SessionFunctions.Server;

var builder = WebApplication.CreateBuilder(args);

// Same URL as `func start`, unless ASPNETCORE_URLS or --urls says otherwise.
if (string.IsNullOrEmpty(builder.Configuration["urls"])) builder.WebHost.UseUrls("http://localhost:7071");

// Per-request framework logs cost more than a session read; keep them off wherever appsettings.json is not found.
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

var generatedKey = builder.Environment.IsDevelopment() && DevelopmentSigningKey.AddIfMissing(builder.Configuration);

builder.Services.AddProblemDetails();
builder.Services.AddSessionApi(builder.Configuration);
builder.Services.AddSessionCors();
builder.Services.AddSessionTelemetryExport(builder.Configuration);
builder.Services.AddSessionOpenApi();
builder.Services.AddDevelopmentIssuer();
var redis = builder.Configuration[RedisSessionStoreServiceCollectionExtensions.ConnectionStringSetting];
if (!string.IsNullOrWhiteSpace(redis)) builder.Services.AddRedisSessionStore(redis);

var app = builder.Build();
if (generatedKey) DevelopmentSigningKey.Warn(app.Logger);

// Whatever the session endpoints do not answer themselves (other paths, an exception outside them, a bad request
// ASP.NET Core detects) answers with problem+json too; see docs/api.md for what Kestrel rejects before any app code.
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseSessionCors();
app.UseDemoSpa();
app.MapSessionApi();
app.MapSessionHealthChecks();
app.MapSessionOpenApi();
app.MapDevelopmentIssuer();
app.Run();

/// <summary>The entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
