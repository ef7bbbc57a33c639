using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SessionFunctions.Diagnostics;

/// <summary>
/// The session API's metrics (<see cref="Meter"/> <c>SessionFunctions</c>) and traces (<see cref="ActivitySource"/>
/// <c>SessionFunctions</c>), for OpenTelemetry or any <see cref="MeterListener"/>. docs/operations.md lists every instrument.
/// No session id appears in any tag: it is a bearer credential.
/// </summary>
internal sealed class SessionMetrics
{
    /// <summary>The name of the meter and of the activity source.</summary>
    public const string Name = "SessionFunctions";

    /// <summary>One span per store call.</summary>
    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Counter<long> _created;
    private readonly Counter<long> _regenerated;
    private readonly Counter<long> _removed;
    private readonly Counter<long> _saved;
    private readonly Counter<long> _unchanged;
    private readonly Counter<long> _redone;
    private readonly Counter<long> _conflicts;
    private readonly Counter<long> _preconditionsFailed;
    private readonly Counter<long> _crossSiteRejected;
    private readonly Counter<long> _outages;
    private readonly Histogram<double> _storeDuration;
    private readonly UpDownCounter<long> _reconnectWaits;

    public SessionMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(Name);
        _created = meter.CreateCounter<long>("sessionfunctions.sessions.created", "{session}", "New sessions stored (POST, or a PUT without a session).");
        _regenerated = meter.CreateCounter<long>("sessionfunctions.sessions.regenerated", "{session}", "Sessions moved to a new id.");
        _removed = meter.CreateCounter<long>("sessionfunctions.sessions.removed", "{session}", "Sessions removed (DELETE).");
        _saved = meter.CreateCounter<long>("sessionfunctions.sessions.saved", "{session}", "Changes of a stored session written (PUT, PATCH, a cookie object added on GET).");
        _unchanged = meter.CreateCounter<long>("sessionfunctions.saves.unchanged", "{save}", "Saves skipped because the session's JSON did not change.");
        _redone = meter.CreateCounter<long>("sessionfunctions.saves.redone", "{save}", "Saves applied again because another writer changed the session first.");
        _conflicts = meter.CreateCounter<long>("sessionfunctions.conflicts", "{response}", "409 session-conflict answers.");
        _preconditionsFailed = meter.CreateCounter<long>("sessionfunctions.preconditions.failed", "{response}", "412 precondition-failed answers (If-Match).");
        _crossSiteRejected = meter.CreateCounter<long>("sessionfunctions.csrf.rejected", "{request}", "State-changing requests refused by the CSRF check (403).");
        _outages = meter.CreateCounter<long>("sessionfunctions.store.outages", "{outage}", "Times the store became unavailable.");
        _storeDuration = meter.CreateHistogram<double>("sessionfunctions.store.duration", "s", "Duration of one store command.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _reconnectWaits = meter.CreateUpDownCounter<long>("sessionfunctions.store.reconnect_waits", "{request}", "Requests waiting for an unavailable store right now.");
    }

    public void Created() => _created.Add(1);

    public void Regenerated() => _regenerated.Add(1);

    public void Removed() => _removed.Add(1);

    public void Saved() => _saved.Add(1);

    public void Unchanged() => _unchanged.Add(1);

    public void Redone() => _redone.Add(1);

    public void Conflict() => _conflicts.Add(1);

    public void PreconditionFailed() => _preconditionsFailed.Add(1);

    public void CrossSiteRejected() => _crossSiteRejected.Add(1);

    public void Outage() => _outages.Add(1);

    public void ReconnectWait(int delta) => _reconnectWaits.Add(delta);

    /// <summary>Starts the span and the clock of one store command; dispose the result with its outcome set.</summary>
    public StoreCall StartStoreCall(string operation) => new(this, operation, ActivitySource.StartActivity("session.store " + operation, ActivityKind.Client));

    /// <summary>One store command being measured.</summary>
    public sealed class StoreCall(SessionMetrics metrics, string operation, Activity? activity) : IDisposable
    {
        private readonly long _started = Stopwatch.GetTimestamp();

        /// <summary><c>ok</c>, <c>unavailable</c> or <c>error</c>.</summary>
        public string Outcome { get; set; } = "error";

        public void Dispose()
        {
            var tags = new TagList { { "session.store.operation", operation }, { "outcome", Outcome } };
            metrics._storeDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, tags);
            if (activity is null) return;
            activity.SetTag("session.store.operation", operation);
            activity.SetTag("outcome", Outcome);
            if (Outcome != "ok") activity.SetStatus(ActivityStatusCode.Error, Outcome);
            activity.Dispose();
        }
    }
}
