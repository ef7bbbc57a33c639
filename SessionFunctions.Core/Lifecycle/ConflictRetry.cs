namespace SessionFunctions.Lifecycle;

/// <summary>
/// How long a save (or a regenerate) keeps retrying when another writer changed the session first: within one instance
/// saves are ordered (<see cref="SessionWriteOrder"/>), so this is another instance, or Koa. The first retry is at once
/// (the compare-and-set answered with the value to start from); later ones back off exponentially with full jitter, so
/// that writers of several instances stop meeting, until <see cref="Budget"/> is spent.
/// </summary>
internal sealed class ConflictRetry(TimeProvider time)
{
    /// <summary>How long a save may spend retrying after conflicts before it answers 409.</summary>
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(1);

    /// <summary>The ceiling of the first backed-off delay; it doubles per retry.</summary>
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(2);

    /// <summary>The most one delay's ceiling grows to.</summary>
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(100);

    private readonly long _started = time.GetTimestamp();
    private TimeSpan _ceiling = FirstDelay;

    /// <summary>The attempts made so far (the first one included).</summary>
    public int Attempts { get; private set; } = 1;

    /// <summary>Waits before the next attempt; false, at once, when it would end past the budget.</summary>
    public async ValueTask<bool> TryAgainAsync(CancellationToken cancellationToken)
    {
        if (Attempts++ == 1) return true;
        var delay = TimeSpan.FromTicks((long)(Random.Shared.NextDouble() * _ceiling.Ticks));
        if (time.GetElapsedTime(_started) + delay > Budget) return false;
        _ceiling = _ceiling * 2 < MaxDelay ? _ceiling * 2 : MaxDelay;
        await Task.Delay(delay, time, cancellationToken);
        return true;
    }
}
