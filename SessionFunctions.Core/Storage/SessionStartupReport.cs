using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SessionFunctions.Configuration;
using SessionFunctions.Diagnostics;

namespace SessionFunctions.Storage;

/// <summary>
/// Says at startup what an operator must know: koa's MemoryStore warning, outside Development. Stops the app when the
/// services do not fit the options: a user index on a store that cannot keep one.
/// </summary>
internal sealed class SessionStartupReport(ISessionStore store, IOptions<SessionApiOptions> options, IHostEnvironment environment, ILogger<SessionStartupReport> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        CheckUserIndexStore(options.Value, store);
        if (store is MemorySessionStore && !environment.IsDevelopment()) Log.MemoryStoreInUse(logger);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Stops a user index on a store that cannot keep one (see <see cref="ISessionUserIndexStore"/>), at startup; it
    /// would fail every save of a logged-in session.
    /// </summary>
    /// <exception cref="OptionsValidationException">The message names <c>Session:UserIdPath</c>.</exception>
    public static void CheckUserIndexStore(SessionApiOptions options, ISessionStore store)
    {
        if (options.UserIdPath is null || store is ISessionUserIndexStore) return;
        throw new OptionsValidationException(Options.DefaultName, typeof(SessionApiOptions),
        [
            $"{SessionApiDefaults.ConfigurationSection}:UserIdPath: the session store ({store.GetType().Name}) cannot keep a user index; " +
            "use the memory store or Redis (Redis:ConnectionString), or unset Session:UserIdPath.",
        ]);
    }
}
