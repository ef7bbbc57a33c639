using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SessionFunctions.Functions;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

// The host proxies each HTTP request to the worker's own Kestrel. We answer an oversized body with our 413 as soon as
// Session:MaxBodyBytes is passed, and Kestrel then drains the rest of the body; at Kestrel's default limit (30,000,000
// bytes) it stops draining and resets, and the host turns that into a 500 with an empty body. So the worker accepts up to
// the host's own limit, 100 MiB: beyond it the host answers by itself and the worker never sees the request. Nothing is
// buffered: the endpoint reads at most MaxBodyBytes + 1 bytes, and Kestrel discards the rest as it drains.
builder.Services.Configure<KestrelServerOptions>(options => options.Limits.MaxRequestBodySize = 104_857_600); // 100 MiB

builder.Services
    .AddApplicationInsightsTelemetryWorkerService()
    .ConfigureFunctionsApplicationInsights();

// The Application Insights SDK adds a rule that lets only Warning and above through to its provider, whatever the levels
// below say, so the worker's Information logs would never reach Application Insights. Remove that rule, as the Functions
// isolated-worker guide shows; the levels below then apply to every provider.
builder.Logging.Services.Configure<LoggerFilterOptions>(options =>
{
    var applicationInsightsDefault = options.Rules.FirstOrDefault(rule =>
        rule.ProviderName == "Microsoft.Extensions.Logging.ApplicationInsights.ApplicationInsightsLoggerProvider");
    if (applicationInsightsDefault is not null) options.Rules.Remove(applicationInsightsDefault);
});

// The worker's log levels. host.json's logging section configures the host process only, never the worker, so they are
// set here: our own logs (store outages, forced reconnects, startup report) and the Redis client's connection and token
// events at Information; the framework's per-request chatter at Warning, as on the standalone server.
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Logging.AddFilter("SessionFunctions", LogLevel.Information);
builder.Logging.AddFilter("StackExchange.Redis", LogLevel.Information);
builder.Logging.AddFilter("Microsoft.Azure.StackExchangeRedis", LogLevel.Information);

// The same services as the standalone server, and Redis through Entra ID in Azure or a connection string locally.
builder.Services.AddSessionApi(builder.Configuration);
builder.Services.AddSessionRedis(builder.Configuration);

builder.Build().Run();
