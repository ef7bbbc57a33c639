namespace SessionFunctions.Storage;

/// <summary>
/// What a conditional write or delete found (<see cref="SessionRepository.ReplaceAsync"/>,
/// <see cref="SessionRepository.ConfirmAsync"/>, <see cref="SessionRepository.DestroyIfAsync"/>): the store compares the
/// stored text with the one the operation started from, and does nothing unless they are the same.
/// </summary>
internal abstract record ConditionalWriteResult
{
    /// <summary>The store held exactly the value the operation started from, and the operation was done.</summary>
    public static readonly ConditionalWriteResult Done = new Succeeded();

    /// <summary>
    /// The session was read from the store by this request and is gone now (removed, expired, or unreadable since): a
    /// concurrent removal. Nothing was done.
    /// </summary>
    public static readonly ConditionalWriteResult Gone = new Vanished();

    /// <summary>
    /// Only this instance's memory said the session existed, and the store has no usable session: the request found none,
    /// as a read would have said. Nothing was done.
    /// </summary>
    public static readonly ConditionalWriteResult NotFound = new Absent();

    private ConditionalWriteResult() { }

    /// <summary>Another writer got in first: the store holds <paramref name="Current"/>; nothing was done.</summary>
    public sealed record Changed(StoredSession Current) : ConditionalWriteResult;

    private sealed record Succeeded : ConditionalWriteResult;

    private sealed record Vanished : ConditionalWriteResult;

    private sealed record Absent : ConditionalWriteResult;
}
