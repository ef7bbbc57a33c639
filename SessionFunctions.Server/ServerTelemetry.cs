using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace SessionFunctions.Server;

/// <summary>
/// OpenTelemetry export for the standalone server: the <c>SessionFunctions</c> meter and activity source, and
/// ASP.NET Core's own request metrics and spans, over OTLP to <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (the exporter reads the standard
/// <c>OTEL_*</c> variables itself). Without that variable nothing is exported and nothing is set up.
/// </summary>
public static class ServerTelemetry
{
    public const string EndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    private static readonly string[] Meters = ["SessionFunctions", "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel"];

    public static IServiceCollection AddSessionTelemetryExport(this IServiceCollection services, IConfiguration configuration)
    {
        if (string.IsNullOrWhiteSpace(configuration[EndpointSetting])) return services;
        services.AddSingleton(_ => Sdk.CreateMeterProviderBuilder().AddMeter(Meters).AddOtlpExporter().Build());
        // ASP.NET Core's request spans too: the store spans are their children, and a parent that nobody records would
        // make the default (parent-based) sampler drop them.
        services.AddSingleton(_ => Sdk.CreateTracerProviderBuilder().AddSource("SessionFunctions", "Microsoft.AspNetCore").AddOtlpExporter().Build());
        services.AddHostedService<TelemetryStarter>();
        return services;
    }

    /// <summary>Makes the providers at startup, so they listen from the first request, and the container disposes (flushes) them at shutdown.</summary>
    private sealed class TelemetryStarter(MeterProvider meters, TracerProvider traces) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.FromResult((meters, traces));

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
