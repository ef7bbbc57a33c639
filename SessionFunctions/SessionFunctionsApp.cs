using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using SessionFunctions.Diagnostics;

namespace SessionFunctions.Functions;

/// <summary>The app's services and settings: what <c>Program.cs</c> runs, and what the tests build in-process.</summary>
public static class SessionFunctionsApp
{
    /// <summary>
    /// The largest request body the worker's Kestrel accepts: the Functions host's own default limit (100 MiB). Below it
    /// the endpoint answers an oversized body (over <c>Session:MaxBodyBytes</c>) with its 413 and Kestrel drains the rest;
    /// at Kestrel's default (30,000,000 bytes) Kestrel would stop draining and reset, which the host turns into an empty
    /// 500. A body over the host's limit never reaches the worker: the host answers it with an empty 500 by itself,
    /// and no setting of the worker changes that (see docs/functions.md).
    /// </summary>
    public const long MaxRequestBodyBytes = 104_857_600;

    /// <summary>Configures the isolated worker with ASP.NET Core integration, telemetry, logging, the session API and its store.</summary>
    public static FunctionsApplicationBuilder AddSessionFunctions(this FunctionsApplicationBuilder builder)
    {
        builder.ConfigureFunctionsWebApplication();
        builder.Services.Configure<KestrelServerOptions>(options => options.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        AddTelemetry(builder);

        // The worker's log levels. host.json's logging section configures the host process only, never the worker, so
        // they are set here: our own logs (store outages, forced reconnects, startup report) and the Redis client's
        // connection and token events at Information; the framework's per-request chatter at Warning, as on the
        // standalone server. They apply to the OpenTelemetry logger as to every provider.
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("SessionFunctions", LogLevel.Information);
        builder.Logging.AddFilter("StackExchange.Redis", LogLevel.Information);

        // The same services as the standalone server, and Redis through Entra ID in Azure or a connection string locally.
        builder.Services.AddSessionApi(builder.Configuration);
        builder.Services.AddSessionRedis(builder.Configuration);
        builder.Services.AddSingleton<CrossOriginReadableHeaders>();
        return builder;
    }

    /// <summary>
    /// The worker's own telemetry to Application Insights through OpenTelemetry ("Use OpenTelemetry with Azure
    /// Functions", isolated worker): host.json's telemetryMode OpenTelemetry does the same for the host.
    /// UseFunctionsWorkerDefaults tells the host to stop relaying the worker's logs and traces the worker now exports
    /// itself, and adds the Functions resource detector and the invocation spans our store spans nest under. Only our
    /// meter and source are added: the host already records every request, so ASP.NET Core's own instrumentation would
    /// report each one twice, and the Application Insights SDK would send the same logs again. Without a connection
    /// string (func start) nothing is exported and the host relays the worker's logs as before.
    /// </summary>
    private static void AddTelemetry(FunctionsApplicationBuilder builder)
    {
        var applicationInsights = builder.Configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"];
        if (string.IsNullOrWhiteSpace(applicationInsights)) return;
        // Application Insights accepts no key (DisableLocalAuth): the exporter signs in as the app's user-assigned
        // identity, the one that holds Monitoring Metrics Publisher (infra/app/rbac.bicep). Without AZURE_CLIENT_ID (a
        // resource that still takes keys) the connection string's key alone is sent.
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
}
