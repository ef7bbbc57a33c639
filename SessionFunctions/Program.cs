using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using SessionFunctions;
using SessionFunctions.Functions;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();

// The host proxies each HTTP request to the worker's own Kestrel. We answer an oversized body with our 413 as soon as
// Session:MaxBodyBytes is passed, and Kestrel then drains the rest of the body; at Kestrel's default limit (30,000,000
// bytes) it stops draining and resets, and the host turns that into a 500 with an empty body. So the worker accepts up to
// the host's own limit, 100 MiB: beyond it the host answers by itself and the worker never sees the request. Nothing is
// buffered: the endpoint reads at most MaxBodyBytes + 1 bytes, and Kestrel discards the rest as it drains.
builder.Services.Configure<KestrelServerOptions>(options => options.Limits.MaxRequestBodySize = 104_857_600); // 100 MiB

// The worker's own telemetry to Application Insights through OpenTelemetry ("Use OpenTelemetry with Azure Functions",
// isolated worker): host.json's telemetryMode OpenTelemetry does the same for the host. UseFunctionsWorkerDefaults tells
// the host to stop relaying the worker's logs and traces the worker now exports itself, and adds the Functions
// resource detector and the invocation spans our store spans nest under; UseAzureMonitorExporter exports logs, metrics
// and traces. Only our meter and source are added: the host already records every request, so ASP.NET Core's own
// instrumentation would report each one twice. The Application Insights SDK is not registered beside it, as the
// migration guide has it: both would send the same logs. Without a connection string (func start) nothing is exported
// and the host relays the worker's logs as before.
var applicationInsights = builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
if (!string.IsNullOrWhiteSpace(applicationInsights))
{
    // Application Insights accepts no key (DisableLocalAuth): the exporter signs in as the app's user-assigned identity,
    // the one that holds Monitoring Metrics Publisher (infra/app/rbac.bicep). APPLICATIONINSIGHTS_AUTHENTICATION_STRING
    // signs in the host only: the worker's exporter takes its credential in code. Without AZURE_CLIENT_ID (a resource
    // that still takes keys) the connection string's key alone is sent.
    var clientId = builder.Configuration[SessionRedisRegistration.ClientIdSetting];
    // The rendered message in the traces table, as the Application Insights SDK wrote it; the values stay in customDimensions.
    builder.Logging.AddOpenTelemetry(options => options.IncludeFormattedMessage = true);
    builder.Services.AddOpenTelemetry()
        .UseFunctionsWorkerDefaults()
        .UseAzureMonitorExporter(options =>
        {
            options.ConnectionString = applicationInsights;
            if (!string.IsNullOrWhiteSpace(clientId))
                options.Credential = new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
        })
        .WithMetrics(metrics => metrics.AddMeter(SessionMetrics.Name))
        .WithTracing(tracing => tracing.AddSource(SessionMetrics.Name));
}

// The worker's log levels. host.json's logging section configures the host process only, never the worker, so they are
// set here: our own logs (store outages, forced reconnects, startup report) and the Redis client's connection and token
// events at Information; the framework's per-request chatter at Warning, as on the standalone server. They apply to the
// OpenTelemetry logger as to every provider: unlike the Application Insights SDK, which let only Warning and above through
// to its provider until its rule was removed, OpenTelemetry adds no filter rule of its own.
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Logging.AddFilter("SessionFunctions", LogLevel.Information);
builder.Logging.AddFilter("StackExchange.Redis", LogLevel.Information);
builder.Logging.AddFilter("Microsoft.Azure.StackExchangeRedis", LogLevel.Information);

// The same services as the standalone server, and Redis through Entra ID in Azure or a connection string locally.
builder.Services.AddSessionApi(builder.Configuration);
builder.Services.AddSessionRedis(builder.Configuration);

builder.Build().Run();
