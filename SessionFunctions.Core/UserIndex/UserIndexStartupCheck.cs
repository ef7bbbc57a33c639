using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SessionFunctions.Configuration;
using SessionFunctions.Storage;

namespace SessionFunctions.UserIndex;

/// <summary>
/// Stops the app at startup when <c>Session:UserIdPath</c> is set and the store cannot keep a user index
/// (<see cref="UserIndexRegistration.CheckStore"/>): it used to start, and then fail every save of a logged-in session.
/// </summary>
internal sealed class UserIndexStartupCheck(ISessionStore store, IOptions<SessionApiOptions> options) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        UserIndexRegistration.CheckStore(options.Value, store);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
