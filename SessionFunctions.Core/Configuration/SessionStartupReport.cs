using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SessionFunctions.UserIndex;

namespace SessionFunctions;

/// <summary>
/// Says at startup what an operator must know: koa's MemoryStore warning, outside Development. Stops the app when the
/// services do not fit the options: a user index on a store that cannot keep one.
/// </summary>
internal sealed class SessionStartupReport(
    ISessionStore store, IOptions<SessionApiOptions> options, IHostEnvironment environment, ILogger<SessionStartupReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        UserIndexRegistration.CheckStore(options.Value, store);
        if (store is MemorySessionStore && !environment.IsDevelopment()) Log.MemoryStoreInUse(logger);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
