using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SessionFunctions.Diagnostics;

namespace SessionFunctions.Storage;

/// <summary>Says at startup what a operator must know: koa's MemoryStore warning, outside Development.</summary>
internal sealed class SessionStartupReport(ISessionStore store, IHostEnvironment environment, ILogger<SessionStartupReport> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (store is MemorySessionStore && !environment.IsDevelopment()) Log.MemoryStoreInUse(logger);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
