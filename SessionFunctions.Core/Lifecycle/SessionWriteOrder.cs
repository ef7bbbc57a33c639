using SessionFunctions.Configuration;
using SessionFunctions.Storage;

namespace SessionFunctions.Lifecycle;

/// <summary>
/// Orders the saves of one session within this instance: one at a time, in arrival order, so they never conflict with
/// each other. A SPA that autosaves, or one user's tabs, would otherwise keep beating each other's compare-and-set. Saves
/// of one session from other instances (or Koa) still meet in the store's compare-and-set, and are retried
/// (<see cref="ConflictRetry"/>).
/// </summary>
/// <remarks>
/// A fixed set of async gates (<see cref="Gates"/>), chosen by the session id's hash: memory stays bounded however many
/// sessions there are, and two sessions that share a gate only wait for each other's store calls now and then. A turn is
/// held across that session's own load, edit and store calls only, never across another request's, so a wait is at
/// most the store's; a wait longer than <see cref="SessionApiOptions.ReconnectTimeout"/> means the store is not
/// answering, and the request answers 503 as any store wait would.
/// </remarks>
internal sealed class SessionWriteOrder
{
    /// <summary>The number of gates: far more than the requests an instance runs at once, so unrelated sessions rarely share one.</summary>
    public const int Gates = 1024;

    private readonly SemaphoreSlim[] _gates = [.. Enumerable.Range(0, Gates).Select(_ => new SemaphoreSlim(1, 1))];

    /// <summary>Waits for the turn of <paramref name="sessionId"/>'s saves; dispose the turn to pass it on.</summary>
    /// <exception cref="SessionStoreUnavailableException">The turn did not come within <paramref name="wait"/>.</exception>
    public async ValueTask<Turn> EnterAsync(string sessionId, TimeSpan wait, CancellationToken cancellationToken)
    {
        var gate = _gates[(uint)StringComparer.Ordinal.GetHashCode(sessionId) % Gates];
        if (!await gate.WaitAsync(wait, cancellationToken))
        {
            throw new SessionStoreUnavailableException(
                $"Earlier saves of this session did not finish within {wait.TotalMilliseconds:F0} ms (Session:ReconnectTimeout).");
        }
        return new Turn(gate);
    }

    /// <summary>A session's turn to save; disposing it lets the next save of that session go.</summary>
    public readonly struct Turn(SemaphoreSlim? gate) : IDisposable
    {
        public void Dispose() => gate?.Release();
    }
}
