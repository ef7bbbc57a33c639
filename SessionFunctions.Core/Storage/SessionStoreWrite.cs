namespace SessionFunctions.Storage;

/// <summary>What a conditional write or delete of <see cref="ISessionStore"/> did.</summary>
public enum SessionStoreWriteStatus
{
    /// <summary>The key held the expected value; the write (or delete) was done.</summary>
    Done,

    /// <summary>The key did not exist; nothing was done.</summary>
    Missing,

    /// <summary>The key held another value, returned in <see cref="SessionStoreWrite.Current"/>; nothing was done.</summary>
    Changed,
}

/// <summary>The answer of a compare-and-set: what happened, and on <see cref="SessionStoreWriteStatus.Changed"/> the value the key holds.</summary>
public readonly record struct SessionStoreWrite(SessionStoreWriteStatus Status, string? Current = null)
{
    public static readonly SessionStoreWrite Done = new(SessionStoreWriteStatus.Done);

    public static readonly SessionStoreWrite Missing = new(SessionStoreWriteStatus.Missing);

    public static SessionStoreWrite Changed(string current) => new(SessionStoreWriteStatus.Changed, current);
}
