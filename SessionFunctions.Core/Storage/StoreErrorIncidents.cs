using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using SessionFunctions.Diagnostics;

namespace SessionFunctions.Storage;

/// <summary>
/// The store's error replies as incidents, as <see cref="SessionRepository"/> logs outages: one Warning when an error
/// code is first answered, Debug for each further one while the incident lasts, and one Information when it ends, at the
/// next session the store stores. A full Redis (<c>OOM</c>) refuses every create and save until memory is freed, so
/// a Warning per refused request would flood the log with thousands of copies of one finding.
/// </summary>
/// <remarks>
/// Every code, each its own incident: <c>OOM</c>, <c>READONLY</c> (a replica during a failover), <c>MISCONF</c> (a
/// failed snapshot) and <c>NOREPLICAS</c> are server states that last, like <c>OOM</c>. A second code during an incident
/// is news, so it warns too. A session stored ends them all: the server took a write, so it is neither full nor read-only
/// any more. With Redis Cluster that write may have gone to another shard, and a shard still full warns again: more
/// Warnings, never fewer. A per-key error such as <c>WRONGTYPE</c> ends at the next write as well, so it keeps warning
/// as often as it alternates with successes, which is how it warned before.
/// </remarks>
internal sealed class StoreErrorIncidents(TimeProvider time, ILogger logger)
{
    private sealed class Incident(long since)
    {
        public long Since { get; } = since;

        // The error replies of this incident after the first, the one that warned.
        public int Repeats;
    }

    private readonly ConcurrentDictionary<string, Incident> _open = new(StringComparer.Ordinal);

    /// <summary>The store answered <paramref name="error"/>: the Warning of a new incident, else a Debug line.</summary>
    public void Refused(SessionStoreErrorException error)
    {
        if (_open.TryAdd(error.Code, new Incident(time.GetUtcNow().UtcTicks)))
        {
            Log.StoreError(logger, error.Code, error.Message);
            return;
        }
        if (_open.TryGetValue(error.Code, out var incident)) Interlocked.Increment(ref incident.Repeats);
        Log.StoreErrorRepeated(logger, error.Code, error.Message);
    }

    /// <summary>The store stored a session: every open incident ends, each with an Information line.</summary>
    public void Stored()
    {
        // The common case: no incident, and a lock-free read.
        if (_open.IsEmpty) return;
        foreach (var code in _open.Keys)
        {
            if (!_open.TryRemove(code, out var incident)) continue;
            var lasted = (time.GetUtcNow().UtcTicks - incident.Since) / (double)TimeSpan.TicksPerMillisecond;
            Log.StoreErrorEnded(logger, code, lasted, Volatile.Read(ref incident.Repeats));
        }
    }
}
