namespace SessionFunctions.Tests.Infrastructure;

/// <summary>A clock the test moves by hand; timers fire when it passes their due time.</summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by)
    {
        _now += by;
        foreach (var timer in _timers.ToList()) timer.FireIfDue(_now);
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(callback, state, _now + dueTime, period, t => _timers.Remove(t));
        _timers.Add(timer);
        return timer;
    }

    private sealed class ManualTimer(TimerCallback callback, object? state, DateTimeOffset due, TimeSpan period, Action<ManualTimer> remove) : ITimer
    {
        public void FireIfDue(DateTimeOffset now)
        {
            while (due <= now)
            {
                callback(state);
                if (period <= TimeSpan.Zero) { remove(this); return; }
                due += period;
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period) => throw new NotSupportedException();

        public void Dispose() => remove(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
