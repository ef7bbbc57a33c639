using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SessionFunctions;
using SessionFunctions.Configuration;
using SessionFunctions.Diagnostics;
using SessionFunctions.Extensibility;
using SessionFunctions.Http;
using SessionFunctions.Lifecycle;
using SessionFunctions.Storage;
using SessionFunctions.UserIndex;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the session API. Both hosts call <see cref="AddSessionApi"/>, so they run the same services.</summary>
public static class SessionApiServiceCollectionExtensions
{
    /// <summary>
    /// Adds the engine and endpoints, binds <see cref="SessionApiOptions"/> to the <c>Session</c> section and validates it
    /// at startup. The store defaults to <see cref="MemorySessionStore"/>; register another <see cref="ISessionStore"/>
    /// (e.g. with AddRedisSessionStore) to replace it. Each koa extension point has a default that a prior
    /// registration replaces.
    /// </summary>
    public static IServiceCollection AddSessionApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SessionApiOptions>().Bind(configuration.GetSection(SessionApiDefaults.ConfigurationSection)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SessionApiOptions>, SessionApiOptionsValidator>());
        services.AddOptions<CrossOriginOptions>().Bind(configuration.GetSection(CrossOriginOptions.ConfigurationSection)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CrossOriginOptions>, CrossOriginOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ISessionStore, MemorySessionStore>();
        services.TryAddSingleton<ISessionIdStore, CookieSessionIdStore>();
        services.TryAddSingleton<ISessionIdGenerator, RandomSessionIdGenerator>();
        services.TryAddSingleton<ISessionValidator, AcceptAllSessionValidator>();
        services.TryAddSingleton<IBeforeSessionSave, NoBeforeSessionSave>();
        services.TryAddSingleton<ISessionErrorHandler, RethrowSessionErrorHandler>();

        services.AddMetrics();
        services.AddHealthChecks().AddCheck<SessionStoreHealthCheck>("session-store", tags: [SessionHealthEndpoint.ReadyTag]);
        services.TryAddSingleton<SessionMetrics>();
        services.TryAddSingleton<TtlPolicy>();
        services.TryAddSingleton<SessionRepository>();
        services.TryAddSingleton<ProtectedFields>();
        services.TryAddSingleton(UserIndexRegistration.Create);
        services.TryAddSingleton<VerifiedLogin>();
        services.TryAddSingleton<SessionLifecycle>();
        services.TryAddSingleton<CrossSiteRequestGuard>();
        // Its constructor takes internal types, so it is not public, and DI needs to be told how to make it.
        services.TryAddSingleton(provider => new SessionEndpoints(
            provider.GetRequiredService<SessionLifecycle>(),
            provider.GetRequiredService<CrossSiteRequestGuard>(),
            provider.GetRequiredService<IOptions<SessionApiOptions>>(),
            provider.GetRequiredService<SessionMetrics>(),
            provider.GetRequiredService<Diagnostics.HealthChecks.HealthCheckService>(),
            provider.GetRequiredService<TtlPolicy>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<Logging.ILogger<SessionEndpoints>>(),
            provider.GetRequiredService<VerifiedLogin>()));
        services.AddHostedService<SessionStartupReport>();
        services.AddHostedService<UserIndexStartupCheck>();
        return services;
    }
}
