namespace SessionFunctions;

/// <summary>
/// What a save found when it wrote (<see cref="SessionRepository.ReplaceAsync"/>): the store answers the write with the
/// value it replaced, and the repository turns that into one of three cases.
/// </summary>
internal abstract record ReplaceOutcome
{
    /// <summary>The write replaced exactly the value the save started from: done.</summary>
    public static readonly ReplaceOutcome AsExpected = new Expected();

    /// <summary>There was no usable session to replace (removed, expired or unreadable); nothing of it is left.</summary>
    public static readonly ReplaceOutcome Missing = new Gone();

    private ReplaceOutcome() { }

    /// <summary>Another writer got in first: the write replaced <paramref name="Replaced"/>, a usable session.</summary>
    public sealed record ReplacedOther(StoredSession Replaced) : ReplaceOutcome;

    private sealed record Expected : ReplaceOutcome;

    private sealed record Gone : ReplaceOutcome;
}
