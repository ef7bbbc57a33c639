namespace SessionFunctions;

/// <summary>
/// What a conditional write or delete found (<see cref="SessionRepository.ReplaceAsync"/>,
/// <see cref="SessionRepository.DestroyIfAsync"/>): the store compares the stored text with the one the operation started
/// from, and does nothing unless they are the same.
/// </summary>
internal abstract record ReplaceOutcome
{
    /// <summary>The store held exactly the value the operation started from, and the operation was done.</summary>
    public static readonly ReplaceOutcome Done = new Succeeded();

    /// <summary>There was no usable session (removed, expired or unreadable); nothing was done.</summary>
    public static readonly ReplaceOutcome Missing = new Gone();

    private ReplaceOutcome() { }

    /// <summary>Another writer got in first: the store holds <paramref name="Current"/>; nothing was done.</summary>
    public sealed record Changed(StoredSession Current) : ReplaceOutcome;

    private sealed record Succeeded : ReplaceOutcome;

    private sealed record Gone : ReplaceOutcome;
}
